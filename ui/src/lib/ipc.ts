// The only module that talks to the Tauri shell. Everything else calls the typed command
// functions below (or `call()`), so tests mock this one file. The functions pass camelCase
// argument keys, as Tauri expects; the shapes they answer (ipc-types.ts) and the errors they
// reject with (ipc-error.ts) are re-exported here, so the UI imports all of it from this module.
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { knownCode, toIpcError } from './ipc-error';
import type {
  AppInfo,
  CalendarImport,
  CalendarView,
  ChartLang,
  ClassExport,
  ClassView,
  Counts,
  HistoryEntry,
  MarksChanged,
  MissingRoll,
  Offering,
  PurgeReport,
  RestPresent,
  Retention,
  RosterChanges,
  RosterRow,
  SchoolExport,
  SchoolFilters,
  SchoolPullEvent,
  SchoolPullState,
  SchoolView,
  Settings,
  Status,
  StudentExport,
  StudentHit,
  StudentView,
  SyncProblem,
  SyncStatus,
  Theme,
  TodayOffering,
  Weekday,
} from './ipc-types';

export * from './ipc-error';
export * from './ipc-types';

/** Calls a Rust command; rejects with an IpcError. */
export async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (raw) {
    throw toIpcError(raw);
  }
}

export type Unlisten = () => void;

/** Subscribes to a shell event; the returned function stops listening (safe to call early). */
function subscribe<T>(event: string, cb: (payload: T) => void): Unlisten {
  let stop: Unlisten | null = null;
  let stopped = false;
  listen<T>(event, (e) => cb(e.payload))
    .then((un) => {
      if (stopped) un();
      else stop = un;
    })
    .catch((raw: unknown) => {
      // Without the event permission the window still works; it just is not told of changes.
      console.error(`cannot listen to ${event}`, toIpcError(raw).message);
    });
  return () => {
    stopped = true;
    stop?.();
    stop = null;
  };
}

// ---- App ----------------------------------------------------------------------------------

export const appInfo = () => call<AppInfo>('app_info');
/** Relaunches the app on the user's own data; this window goes away. */
export const leaveDemo = () => call<null>('leave_demo');
/** The first screen is painted: the app's start-up work in the background may begin. */
export const windowShown = () => call<null>('window_shown');

// ---- Today --------------------------------------------------------------------------------

/** Every offering with its number of active students (the shell's first command). */
export const offerings = () => call<Offering[]>('offerings');
export const today = (date: string) => call<TodayOffering[]>('today', { date });

/** The rolls still to take of the two weeks before today (the user's local day), newest first. */
export const missingRolls = () => call<MissingRoll[]>('missing_rolls');

// ---- School calendar ----------------------------------------------------------------------

export const calendar = () => call<CalendarView>('calendar');
/** No days: back to Monday to Friday. Answers the calendar as it now is. */
export const saveMeetingDays = (offering: string, days: Weekday[]) =>
  call<CalendarView>('save_meeting_days', { offering, days });
/** Replaces the non-school days with the file's `date` column; rejects with `bad_file` (and its
 *  rows) when the file is refused, and then nothing changes. */
export const importNonSchoolDays = (csv: string, fileName: string) =>
  call<CalendarImport>('import_non_school_days', { csv, fileName });

// ---- Roll call ----------------------------------------------------------------------------

export const roster = (offering: string, date: string) =>
  call<RosterRow[]>('roster', { offering, date });
/** The roll is on screen: refresh its offering's server records in the background. */
export const refreshRoll = (offering: string) => call<null>('refresh_roll', { offering });
export const counts = (offering: string, date: string) =>
  call<Counts>('counts', { offering, date });
/** Resolves only after the mark is committed to SQLite (durable). A date after today or more
 *  than 400 days before it rejects with `date_outside_window` unless `allowDateOutsideWindow`
 *  (the user confirmed that date). */
export const setMark = (
  offering: string,
  student: string,
  date: string,
  status: Status,
  allowDateOutsideWindow = false,
) => call<RosterRow>('set_mark', { offering, student, date, status, ...allowing(allowDateOutsideWindow) });
/** The date is checked as in `setMark`. */
export const markRestPresent = (offering: string, date: string, allowDateOutsideWindow = false) =>
  call<RestPresent>('mark_rest_present', { offering, date, ...allowing(allowDateOutsideWindow) });
/** The allow flag is sent only when set (the command reads a missing flag as false). */
const allowing = (allow: boolean) => (allow ? { allowDateOutsideWindow: true } : {});
/** Rejects with code `conflict` when there is nothing to undo. */
export const undo = (offering: string, date: string) =>
  call<{ reverted: number }>('undo', { offering, date });
/** Opening a mark's history acknowledges a record that changed it elsewhere. */
export const history = (offering: string, student: string, date: string) =>
  call<HistoryEntry[]>('history', { offering, student, date });

// ---- Roster import ------------------------------------------------------------------------

/** Writes nothing; rejects with `bad_file` (and its rows) when the file is refused. */
export const rosterPreview = (csv: string, fileName: string) =>
  call<RosterChanges>('roster_preview', { csv, fileName });
export const rosterImport = (csv: string, fileName: string) =>
  call<RosterChanges>('roster_import', { csv, fileName });

// ---- Settings -----------------------------------------------------------------------------

export const settings = () => call<Settings>('settings');
/** "" goes back to the default (10 minutes); rejects with `invalid` outside 1 to 240. */
export const saveRefreshMinutes = (minutes: string) =>
  call<Settings>('save_refresh_minutes', { minutes });
export const saveSettings = (apiUrl: string, schoolId: string | null) =>
  call<Settings>('save_settings', { apiUrl, schoolId });
/** The token goes into Rust (and the OS keyring) once; nothing ever returns it. */
export const signIn = (token: string) => call<Settings>('sign_in', { token });
export const signOut = () => call<Settings>('sign_out');

// ---- Keeping records on this computer ----------------------------------------------------

export const retention = () => call<Retention>('retention');
/** `keepDays` as typed ('' keeps everything); rejects with `invalid` naming a bad number. */
export const saveRetention = (keepDays: string) => call<Retention>('save_retention', { keepDays });
/** Counts what a purge keeping `keepDays` ('' : the saved setting) would remove; changes nothing. */
export const previewPurge = (keepDays: string) => call<PurgeReport>('preview_purge', { keepDays });
/** Purges now; answers the setting with this purge as the latest. */
export const purgeNow = (keepDays: string) => call<Retention>('purge_now', { keepDays });

// ---- Sync ---------------------------------------------------------------------------------

export const syncStatus = () => call<SyncStatus>('sync_status');
export const syncNow = () => call<null>('sync_now');
export const syncProblems = () => call<SyncProblem[]>('sync_problems');
export const resendUnknown = () => call<{ resent: number }>('resend_unknown');
export const discard = (id: number) => call<null>('discard', { id });
/** A rejected item goes back to pending. */
export const retry = (id: number) => call<null>('retry', { id });

/** Every change of the sync engine's status (the UI never polls). */
export const onSyncStatus = (cb: (status: SyncStatus) => void): Unlisten =>
  subscribe<SyncStatus>('sync-status', cb);
/** The engine delivered or reconciled marks of an offering on a date. */
export const onMarksChanged = (cb: (change: MarksChanged) => void): Unlisten =>
  subscribe<MarksChanged>('marks-changed', cb);

// ---- Counselor ----------------------------------------------------------------------------

export const searchStudents = (query: string) => call<StudentHit[]>('search_students', { query });
export const studentView = (
  student: string,
  from: string | null,
  to: string | null,
  theme: Theme,
  lang: ChartLang,
) => call<StudentView>('student_view', { student, from, to, theme, lang });
export const classView = (
  offering: string,
  from: string | null,
  to: string | null,
  theme: Theme,
  lang: ChartLang,
) => call<ClassView>('class_view', { offering, from, to, theme, lang });
export const exportStudent = (
  student: string,
  from: string | null,
  to: string | null,
  kind: StudentExport,
) => call<{ path: string }>('export_student', { student, from, to, kind });
export const exportClass = (
  offering: string,
  from: string | null,
  to: string | null,
  kind: ClassExport,
) => call<{ path: string }>('export_class', { offering, from, to, kind });

export const schoolView = (f: SchoolFilters) => call<SchoolView>('school_view', { ...f });
export const exportSchool = (f: SchoolFilters, kind: SchoolExport, lang: ChartLang) =>
  call<{ path: string }>('export_school', { ...f, kind, lang });

// ---- Refresh all classes (the school pull) ------------------------------------------------

/** Starts pulling every class of the roster in the background (refused while one runs). */
export const pullAllClasses = () => call<null>('pull_all_classes');
/** Cancels the running school pull; what finished is kept. */
export const cancelPullAllClasses = () => call<boolean>('cancel_pull_all_classes');
/** When the school was last pulled, and whether a pull runs now. */
export const schoolPullState = () => call<SchoolPullState>('school_pull_state');
/** The school pull's progress and its end; a failure's code is read as `toIpcError` reads one. */
export const onSchoolPull = (cb: (event: SchoolPullEvent) => void): Unlisten =>
  subscribe<SchoolPullEvent>('school-pull', (e) =>
    cb(e.kind === 'failed' ? { ...e, code: knownCode(e.code) } : e),
  );
