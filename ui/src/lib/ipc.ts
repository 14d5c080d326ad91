// The only module that talks to the Tauri shell. Everything else calls the typed command
// functions below (or `call()`), so tests mock this one file. Types mirror the IPC contract:
// snake_case fields as the Rust side serializes them, camelCase argument keys as Tauri expects.
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';

/** One line of a rejected CSV file. */
export interface RowError {
  line: number;
  column: string;
  reason: string;
}

/** The date a mark was refused for (`date_outside_window`) and the window it is outside:
 *  today and the 400 days before, all `YYYY-MM-DD`. */
export interface DateWindowRefusal {
  date: string;
  first: string;
  last: string;
}

/** An error from a command, always `{code, message}` (rollbook_core::Error's JSON shape);
 *  `bad_file` errors also carry the rejected `rows`, `date_outside_window` its `window`. */
export class IpcError extends Error {
  readonly code: string;
  readonly rows: RowError[];
  /** Problems of a rejected file beyond the `rows` listed (the core lists the first 50). */
  readonly moreRows: number;
  readonly window: DateWindowRefusal | null;

  constructor(
    code: string,
    message: string,
    rows: RowError[] = [],
    moreRows = 0,
    window: DateWindowRefusal | null = null,
  ) {
    super(message);
    this.name = 'IpcError';
    this.code = code;
    this.rows = rows;
    this.moreRows = moreRows;
    this.window = window;
  }
}

function windowOf(raw: Record<string, unknown>): DateWindowRefusal | null {
  const { date, first, last } = raw;
  return typeof date === 'string' && typeof first === 'string' && typeof last === 'string'
    ? { date, first, last }
    : null;
}

function rowsOf(raw: unknown): RowError[] {
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((r): r is Record<string, unknown> => !!r && typeof r === 'object')
    .map((r) => ({
      line: Number(r.line ?? 0),
      column: String(r.column ?? ''),
      reason: String(r.reason ?? ''),
    }));
}

/** Turns whatever `invoke` rejected with into an IpcError. */
export function toIpcError(raw: unknown): IpcError {
  if (raw instanceof IpcError) return raw;
  if (raw && typeof raw === 'object') {
    const { code, message, rows, more_rows } = raw as {
      code?: unknown;
      message?: unknown;
      rows?: unknown;
      more_rows?: unknown;
    };
    if (typeof code === 'string' && typeof message === 'string') {
      const more = typeof more_rows === 'number' && more_rows > 0 ? more_rows : 0;
      return new IpcError(code, message, rowsOf(rows), more, windowOf(raw as Record<string, unknown>));
    }
    // A JavaScript exception inside the IPC layer itself.
    if (raw instanceof Error) return new IpcError('ipc', raw.message);
    if (typeof message === 'string') return new IpcError('unknown', message);
  }
  // The shell itself rejects with a plain string (unknown command, denied by the ACL).
  if (typeof raw === 'string') return new IpcError('ipc', raw);
  return new IpcError('unknown', String(raw));
}

/** Calls a Rust command; rejects with an IpcError. */
export async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (raw) {
    throw toIpcError(raw);
  }
}

// ---- App ----------------------------------------------------------------------------------

export interface AppInfo {
  data_dir: string;
  db_path: string;
  schema_version: number;
  version: string;
  demo?: boolean;
}

export const appInfo = () => call<AppInfo>('app_info');
/** Relaunches the app on the user's own data; this window goes away. */
export const leaveDemo = () => call<null>('leave_demo');

// ---- Today --------------------------------------------------------------------------------

export interface Offering {
  id: string;
  name: string;
  teacher_assignment_id: string;
  active_students: number;
}

export type TakenState = 'not_taken' | 'partly' | 'taken';

export interface TodayOffering extends Offering {
  marked: number;
  unsent: number;
  state: TakenState;
}

/** Every offering with its number of active students (the shell's first command). */
export const offerings = () => call<Offering[]>('offerings');
export const today = (date: string) => call<TodayOffering[]>('today', { date });

/** A past school day's roll that is not taken or only partly taken. */
export interface MissingRoll extends TodayOffering {
  /** `YYYY-MM-DD`. */
  date: string;
  state: 'not_taken' | 'partly';
}

/** The rolls still to take of the two weeks before today (the user's local day), newest first. */
export const missingRolls = () => call<MissingRoll[]>('missing_rolls');

// ---- School calendar ----------------------------------------------------------------------

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface OfferingDays {
  offering_id: string;
  name: string;
  /** Ascending; Monday to Friday when the user chose none. */
  meeting_days: Weekday[];
}

export interface CalendarView {
  /** `YYYY-MM-DD`, ascending. */
  non_school_days: string[];
  offerings: OfferingDays[];
}

export interface CalendarImport {
  rows: number;
  days: number;
}

export const calendar = () => call<CalendarView>('calendar');
/** No days: back to Monday to Friday. Answers the calendar as it now is. */
export const saveMeetingDays = (offering: string, days: Weekday[]) =>
  call<CalendarView>('save_meeting_days', { offering, days });
/** Replaces the non-school days with the file's `date` column; rejects with `bad_file` (and its
 *  rows) when the file is refused, and then nothing changes. */
export const importNonSchoolDays = (csv: string, fileName: string) =>
  call<CalendarImport>('import_non_school_days', { csv, fileName });

// ---- Roll call ----------------------------------------------------------------------------

export type Status = 'present' | 'absent' | 'late' | 'excused';
export type Delivery = 'saved_here' | 'sending' | 'on_server' | 'needs_attention';

export interface RosterRow {
  student_id: string;
  student_name: string;
  course_enrollment_id: string;
  status: Status | null;
  changed_at: string | null;
  delivery: Delivery | null;
  from_server: boolean;
  /** Who made the mark shown (`null` when unmarked). */
  marked_by: MarkedBy | null;
  /** When the mark shown was recorded (RFC 3339). */
  recorded_at: string | null;
  /** Another writer's newer record replaced this device's mark and the teacher has not looked
   *  at it yet (opening the history or marking the row clears it). */
  changed_elsewhere: boolean;
}

/** This device; the same teacher on another device; a kiosk, co-teacher or substitute. */
export type MarkedBy = 'this_device' | 'same_teacher' | 'other';

/** What "mark the rest present" did: students marked, students already marked and kept. */
export interface RestPresent {
  marked: number;
  kept: number;
}

export interface Counts {
  present: number;
  absent: number;
  late: number;
  excused: number;
  unmarked: number;
}

/** A mark's history, oldest first: this device's changes and other writers' records. */
export type HistoryEntry = LocalChange | ServerRecordEntry;

/** A change made on this device. */
export interface LocalChange {
  kind: 'local';
  id: number;
  old_status: Status | null;
  new_status: Status | null;
  actor: string;
  origin: string;
  changed_at: string;
  action: number;
  undone: boolean;
  outbox_state: string | null;
  sent_at: string | null;
  server_id: string | null;
  server_recorded_at: string | null;
}

/** A record on the server this device did not create (a kiosk, a co-teacher, another device). */
export interface ServerRecordEntry {
  kind: 'server';
  record_id: string;
  status: Status;
  recorded_at: string;
  /** `same_teacher`: you on another device; `other`: another teacher or system. */
  marked_by: Exclude<MarkedBy, 'this_device'>;
}

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

export interface RosterChanges {
  rows: number;
  offerings_added: number;
  offerings_renamed: number;
  teachers_changed?: number;
  students_added: number;
  students_renamed: number;
  enrollments_added: number;
  enrollments_reactivated: number;
  enrollments_deactivated: number;
  /** A new enrollment id for a student already in the offering: the new id is used. */
  enrollments_reenrolled: number;
  /** Stored offerings the file does not name: left as they are. */
  offerings_not_in_file: number;
}

/** Writes nothing; rejects with `bad_file` (and its rows) when the file is refused. */
export const rosterPreview = (csv: string, fileName: string) =>
  call<RosterChanges>('roster_preview', { csv, fileName });
export const rosterImport = (csv: string, fileName: string) =>
  call<RosterChanges>('roster_import', { csv, fileName });

// ---- Settings -----------------------------------------------------------------------------

/** Never holds the token: only whether one is stored. */
export interface Settings {
  api_url: string;
  school_id: string | null;
  signed_in: boolean;
  read_only: boolean;
  demo: boolean;
  /** Minutes between refreshes of the server's records, at least. */
  refresh_minutes: number;
}

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

/** What a purge removed (or, from a preview, would remove). */
export interface PurgeReport {
  keep_days: number;
  /** Records dated before this `YYYY-MM-DD` go. */
  cutoff: string;
  marks: number;
  /** History entries. */
  changes: number;
  outbox_items: number;
  server_records: number;
  /** Older marks kept because the server has not confirmed them yet. */
  kept_unconfirmed: number;
}

/** A purge that ran. */
export interface PurgeRecord extends PurgeReport {
  id: number;
  ran_at: string;
}

export interface Retention {
  /** null: everything is kept. */
  keep_days: number | null;
  last_purge: PurgeRecord | null;
}

export const retention = () => call<Retention>('retention');
/** `keepDays` as typed ('' keeps everything); rejects with `invalid` naming a bad number. */
export const saveRetention = (keepDays: string) => call<Retention>('save_retention', { keepDays });
/** Counts what a purge keeping `keepDays` ('' : the saved setting) would remove; changes nothing. */
export const previewPurge = (keepDays: string) => call<PurgeReport>('preview_purge', { keepDays });
/** Purges now; answers the setting with this purge as the latest. */
export const purgeNow = (keepDays: string) => call<Retention>('purge_now', { keepDays });

// ---- Sync ---------------------------------------------------------------------------------

export interface Blocked {
  reason: 'auth' | 'permission' | 'school';
  message: string;
}

export interface SyncStatus {
  pending: number;
  sending: number;
  unknown: number;
  rejected: number;
  synced: number;
  blocked: Blocked | null;
  read_denied: boolean;
  last_success_at: string | null;
  /** When the records of the offerings this device works with were last refreshed. */
  last_refresh_at: string | null;
  /** Records that refresh brought which this device did not have. */
  last_refresh_new_records: number;
  /** When a refresh last added, changed or removed a cached server record. */
  records_changed_at: string | null;
  next_attempt_at: string | null;
  paused_until: string | null;
  online: boolean;
  running: boolean;
}

export interface SyncProblem {
  id: number;
  offering_id: string;
  offering_name: string | null;
  student_id: string;
  student_name: string | null;
  date: string;
  status: Status;
  state: 'unknown' | 'rejected';
  reason: string | null;
}

export interface MarksChanged {
  offering: string;
  date: string;
}

export const syncStatus = () => call<SyncStatus>('sync_status');
export const syncNow = () => call<null>('sync_now');
export const syncProblems = () => call<SyncProblem[]>('sync_problems');
export const resendUnknown = () => call<{ resent: number }>('resend_unknown');
export const discard = (id: number) => call<null>('discard', { id });
/** A rejected item goes back to pending. */
export const retry = (id: number) => call<null>('retry', { id });

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

/** Every change of the sync engine's status (the UI never polls). */
export const onSyncStatus = (cb: (status: SyncStatus) => void): Unlisten =>
  subscribe<SyncStatus>('sync-status', cb);
/** The engine delivered or reconciled marks of an offering on a date. */
export const onMarksChanged = (cb: (change: MarksChanged) => void): Unlisten =>
  subscribe<MarksChanged>('marks-changed', cb);

// ---- Counselor ----------------------------------------------------------------------------

export type Tier =
  | 'insufficient-data'
  | 'satisfactory'
  | 'at-risk'
  | 'moderate-chronic'
  | 'severe-chronic';

export interface SessionCounts {
  present: number;
  late: number;
  absent: number;
  excused: number;
  total: number;
}

export interface StudentReport {
  student_id: string;
  from: string | null;
  to: string | null;
  sessions: SessionCounts;
  attendance_rate: number | null;
  days_observed: number;
  days_absent: number;
  excused_days_absent: number;
  unexcused_days_absent: number;
  absence_rate: number | null;
  tier: Tier;
  crdc_15_days: boolean;
  longest_absence_streak: number;
  current_absence_streak: number;
  by_course: {
    course_offering_id: string;
    course_name: string | null;
    sessions: SessionCounts;
    attendance_rate: number | null;
  }[];
  by_month: { month: string; sessions: SessionCounts; attendance_rate: number | null }[];
}

export interface Chart {
  svg: string;
  alt: string;
  title: string;
}

export interface StudentView {
  student_id: string;
  /** null when this device does not know the student's name. */
  name: string | null;
  /** The tier in words, in the view's language. */
  tier_label?: string;
  report: StudentReport;
  charts: {
    breakdown: Chart;
    monthly: Chart;
    heatmap: Chart;
    by_course: Chart;
    last_days: Chart;
  };
}

export interface StudentSummary {
  student_id: string;
  name: string | null;
  days_observed: number;
  days_absent: number;
  absence_rate: number | null;
  tier: Tier;
}

export interface ClassOverview {
  offering_id: string;
  offering_name: string | null;
  daily: { date: string; sessions: SessionCounts; attendance_rate: number | null }[];
  students: StudentSummary[];
}

export interface ClassView {
  offering_id: string;
  /** null when the offering is not in this device's rosters. */
  name: string | null;
  from: string | null;
  to: string | null;
  overview: ClassOverview;
  charts: { daily: Chart; at_risk: Chart };
}

export interface OfferingRef {
  id: string;
  name: string;
}

export interface StudentHit {
  id: string;
  full_name: string;
  /** The offerings the student attends. */
  offerings: OfferingRef[];
}

export type Theme = 'light' | 'dark';
export type ChartLang = 'en' | 'es';
export type StudentExport = 'csv' | 'svg' | 'png' | 'html';
export type ClassExport = 'csv' | 'svg' | 'png';

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

/** One student of the school view: the student report's measures and two more. */
export interface SchoolRow extends StudentReport {
  /** null when this device does not know the student's name. */
  full_name: string | null;
  /** The offerings with records in the range, by name. */
  offerings: string[];
  /** Absence rate of the last 30 days of the range minus the 30 before, in points. */
  absence_rate_change_30d: number | null;
  last_present: string | null;
}

export interface SchoolView {
  from: string;
  to: string;
  /** When the whole school was last pulled (RFC 3339); null if never. */
  as_of: string | null;
  /** Students with records in the range, before the filters. */
  total: number;
  students: SchoolRow[];
}

export interface SchoolFilters {
  from: string | null;
  to: string | null;
  tiers: Tier[];
  offering: string | null;
  search: string | null;
}

export type SchoolExport = 'csv' | 'html';

export const schoolView = (f: SchoolFilters) => call<SchoolView>('school_view', { ...f });
export const exportSchool = (f: SchoolFilters, kind: SchoolExport, lang: ChartLang) =>
  call<{ path: string }>('export_school', { ...f, kind, lang });
// ---- Refresh all classes (the school pull) ------------------------------------------------

export interface PullProgress {
  done: number;
  total: number;
  records: number;
  failed: number;
}

export interface FailedOffering {
  offering_id: string;
  name: string | null;
  reason: string;
}

export interface SchoolPullReport {
  offerings: number;
  pulled: number;
  failed: FailedOffering[];
  records: number;
  new_records: number;
  cancelled: boolean;
  error: string | null;
  as_of: string | null;
}

/** What a `school-pull` event carries: progress while it runs, then the report or an error. */
export type SchoolPullEvent =
  | ({ kind: 'progress' } & PullProgress)
  | ({ kind: 'done' } & SchoolPullReport)
  | { kind: 'failed'; code: string; message: string };

export interface SchoolPullState {
  as_of: string | null;
  running: boolean;
}

/** Starts pulling every class of the roster in the background (refused while one runs). */
export const pullAllClasses = () => call<null>('pull_all_classes');
/** Cancels the running school pull; what finished is kept. */
export const cancelPullAllClasses = () => call<boolean>('cancel_pull_all_classes');
/** When the school was last pulled, and whether a pull runs now. */
export const schoolPullState = () => call<SchoolPullState>('school_pull_state');
/** The school pull's progress and its end. */
export const onSchoolPull = (cb: (event: SchoolPullEvent) => void): Unlisten =>
  subscribe<SchoolPullEvent>('school-pull', cb);
