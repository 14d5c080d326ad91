// The shapes on the IPC wire: what each command answers and what each event carries, with
// snake_case fields as the Rust side serializes them. ipc.ts re-exports them all.
import type { ErrorCode } from './ipc-error';

// ---- App ----------------------------------------------------------------------------------

export interface AppInfo {
  data_dir: string;
  db_path: string;
  schema_version: number;
  version: string;
  demo?: boolean;
}

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

/** A past school day's roll that is not taken or only partly taken. */
export interface MissingRoll extends TodayOffering {
  /** `YYYY-MM-DD`. */
  date: string;
  state: 'not_taken' | 'partly';
}

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
  | { kind: 'failed'; code: ErrorCode; message: string };

export interface SchoolPullState {
  as_of: string | null;
  running: boolean;
}
