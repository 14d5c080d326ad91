// The errors commands reject with: the codes they carry, and how a rejection of any shape
// becomes an IpcError. ipc.ts, the only module that talks to the shell, uses and re-exports them.

/** The codes of `rollbook_core::Error::code()` (crates/core/src/error.rs), which every command
 *  error carries; src-tauri adds none (the school pull forwards `e.code()` as it is). */
export const CORE_ERROR_CODES = [
  'invalid',
  'bad_file',
  'date_outside_window',
  'not_found',
  'conflict',
  'database_too_new',
  'remote',
  'auth',
  'database',
  'io',
] as const;

/** The UI's own codes, for what did not come from the core: `ipc` when the shell or the IPC layer
 *  failed (an unknown command, one the ACL denies, a JavaScript exception), `unknown` for an
 *  answer of any other shape, or with a code this UI does not know. */
export const UI_ERROR_CODES = ['ipc', 'unknown'] as const;

/** Every code an IpcError carries. */
export type ErrorCode = (typeof CORE_ERROR_CODES)[number] | (typeof UI_ERROR_CODES)[number];

const KNOWN_CODES: ReadonlySet<string> = new Set([...CORE_ERROR_CODES, ...UI_ERROR_CODES]);

/** The code as the UI types it: itself when known, `unknown` for any other (a newer core's, or
 *  none), so a branch on a code never meets one its type does not name. */
export function knownCode(code: unknown): ErrorCode {
  return typeof code === 'string' && KNOWN_CODES.has(code) ? (code as ErrorCode) : 'unknown';
}

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
  readonly code: ErrorCode;
  readonly rows: RowError[];
  /** Problems of a rejected file beyond the `rows` listed (the core lists the first 50). */
  readonly moreRows: number;
  readonly window: DateWindowRefusal | null;

  constructor(
    code: ErrorCode,
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

/** Turns whatever `invoke` rejected with into an IpcError; a code the UI does not know becomes
 *  `unknown` (see knownCode), its message kept. */
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
      const refused = windowOf(raw as Record<string, unknown>);
      return new IpcError(knownCode(code), message, rowsOf(rows), more, refused);
    }
    // A JavaScript exception inside the IPC layer itself.
    if (raw instanceof Error) return new IpcError('ipc', raw.message);
    if (typeof message === 'string') return new IpcError('unknown', message);
  }
  // The shell itself rejects with a plain string (unknown command, denied by the ACL).
  if (typeof raw === 'string') return new IpcError('ipc', raw);
  return new IpcError('unknown', String(raw));
}
