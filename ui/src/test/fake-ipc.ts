// A stand-in for lib/ipc.ts in component tests: every command is a vi.fn() with a harmless
// default, and the two events can be emitted by the test.
//   vi.mock('../lib/ipc', async () => (await import('../test/fake-ipc')).fakeIpc());
//   resetEachTest();
import { beforeEach, vi } from 'vitest';
import type * as Ipc from '../lib/ipc';
import { outsideWindow } from '../lib/dates';
import { locale } from '../lib/locale.svelte';

type IpcModule = typeof Ipc;

const syncListeners = new Set<(s: Ipc.SyncStatus) => void>();
const marksListeners = new Set<(c: Ipc.MarksChanged) => void>();
const schoolPullListeners = new Set<(e: Ipc.SchoolPullEvent) => void>();

export const baseStatus: Ipc.SyncStatus = {
  pending: 0,
  sending: 0,
  unknown: 0,
  rejected: 0,
  synced: 0,
  blocked: null,
  read_denied: false,
  last_success_at: null,
  last_refresh_at: null,
  last_refresh_new_records: 0,
  records_changed_at: null,
  next_attempt_at: null,
  paused_until: null,
  online: true,
  running: false,
};

export const baseSettings: Ipc.Settings = {
  api_url: 'https://api.athena-erp.com',
  school_id: null,
  signed_in: true,
  read_only: false,
  demo: false,
  refresh_minutes: 10,
};

export const baseInfo: Ipc.AppInfo = {
  data_dir: '/home/t/.local/share/org.rollbook.app',
  db_path: '/home/t/.local/share/org.rollbook.app/rollbook.db',
  schema_version: 3,
  version: '0.1.0',
  demo: false,
};

let mod: IpcModule | null = null;

/** The mocked module (built once per test file). */
export async function fakeIpc(): Promise<IpcModule> {
  const real = await vi.importActual<IpcModule>('../lib/ipc');
  mod = {
    ...real,
    call: vi.fn(),
    appInfo: vi.fn(),
    leaveDemo: vi.fn(),
    windowShown: vi.fn(),
    offerings: vi.fn(),
    today: vi.fn(),
    missingRolls: vi.fn(),
    calendar: vi.fn(),
    saveMeetingDays: vi.fn(),
    importNonSchoolDays: vi.fn(),
    roster: vi.fn(),
    counts: vi.fn(),
    refreshRoll: vi.fn(),
    setMark: vi.fn(),
    markRestPresent: vi.fn(),
    undo: vi.fn(),
    history: vi.fn(),
    rosterPreview: vi.fn(),
    rosterImport: vi.fn(),
    settings: vi.fn(),
    saveSettings: vi.fn(),
    saveRefreshMinutes: vi.fn(),
    signIn: vi.fn(),
    signOut: vi.fn(),
    retention: vi.fn(),
    saveRetention: vi.fn(),
    previewPurge: vi.fn(),
    purgeNow: vi.fn(),
    syncStatus: vi.fn(),
    syncNow: vi.fn(),
    syncProblems: vi.fn(),
    resendUnknown: vi.fn(),
    discard: vi.fn(),
    retry: vi.fn(),
    onSyncStatus: vi.fn(),
    onMarksChanged: vi.fn(),
    searchStudents: vi.fn(),
    studentView: vi.fn(),
    classView: vi.fn(),
    exportStudent: vi.fn(),
    exportClass: vi.fn(),
    schoolView: vi.fn(),
    exportSchool: vi.fn(),
    pullAllClasses: vi.fn(),
    cancelPullAllClasses: vi.fn(),
    schoolPullState: vi.fn(),
    onSchoolPull: vi.fn(),
  };
  resetFakeIpc();
  return mod;
}

/** Clears calls and listeners and puts every default back (call in beforeEach). */
export function resetFakeIpc(): void {
  if (!mod) return;
  syncListeners.clear();
  marksListeners.clear();
  schoolPullListeners.clear();
  const m = vi.mocked(mod);
  for (const value of Object.values(m)) {
    if (vi.isMockFunction(value)) value.mockReset();
  }
  m.appInfo.mockResolvedValue({ ...baseInfo });
  m.windowShown.mockResolvedValue(null);
  m.settings.mockResolvedValue({ ...baseSettings });
  m.retention.mockResolvedValue({ keep_days: null, last_purge: null });
  m.syncStatus.mockResolvedValue({ ...baseStatus });
  m.today.mockResolvedValue([]);
  m.missingRolls.mockResolvedValue([]);
  m.calendar.mockResolvedValue({ non_school_days: [], offerings: [] });
  m.offerings.mockResolvedValue([]);
  m.roster.mockResolvedValue([]);
  m.refreshRoll.mockResolvedValue(null);
  m.counts.mockResolvedValue({ present: 0, absent: 0, late: 0, excused: 0, unmarked: 0 });
  m.syncProblems.mockResolvedValue([]);
  m.history.mockResolvedValue([]);
  m.searchStudents.mockResolvedValue([]);
  m.schoolView.mockResolvedValue({ from: '2025-01-01', to: '2025-12-31', as_of: null, total: 0, students: [] });
  m.syncNow.mockResolvedValue(null);
  m.onSyncStatus.mockImplementation((cb) => {
    syncListeners.add(cb);
    return () => syncListeners.delete(cb);
  });
  m.onMarksChanged.mockImplementation((cb) => {
    marksListeners.add(cb);
    return () => marksListeners.delete(cb);
  });
  m.schoolPullState.mockResolvedValue({ as_of: null, running: false });
  m.pullAllClasses.mockResolvedValue(null);
  m.cancelPullAllClasses.mockResolvedValue(true);
  m.onSchoolPull.mockImplementation((cb) => {
    schoolPullListeners.add(cb);
    return () => schoolPullListeners.delete(cb);
  });
}

/** Emits a `school-pull` event to the components listening. */
export function emitSchoolPull(e: Ipc.SchoolPullEvent): void {
  for (const cb of schoolPullListeners) cb(e);
}

/** Before each test of the calling file: every fake reset (see resetFakeIpc), no date outside
 *  the window confirmed, and the window in English. The DOM is cleaned after each test by the @testing-library/svelte vite plugin. */
export function resetEachTest(): void {
  beforeEach(() => {
    resetFakeIpc();
    outsideWindow.forget();
    locale.current = 'en';
  });
}

/** As if the engine emitted `sync-status`. */
export function emitSyncStatus(status: Partial<Ipc.SyncStatus>): void {
  for (const cb of syncListeners) cb({ ...baseStatus, ...status });
}

/** As if the engine emitted `marks-changed`. */
export function emitMarksChanged(change: Ipc.MarksChanged): void {
  for (const cb of marksListeners) cb(change);
}

export function listenerCount(): { sync: number; marks: number } {
  return { sync: syncListeners.size, marks: marksListeners.size };
}
