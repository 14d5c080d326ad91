// The only module that talks to the Tauri shell. Everything else calls `call()` or the typed
// command functions below, so tests mock this one file.
import { invoke } from '@tauri-apps/api/core';

/** An error from a command, always `{code, message}` (rollbook_core::Error's JSON shape). */
export class IpcError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'IpcError';
    this.code = code;
  }
}

/** Turns whatever `invoke` rejected with into an IpcError. */
export function toIpcError(raw: unknown): IpcError {
  if (raw instanceof IpcError) return raw;
  if (raw && typeof raw === 'object') {
    const { code, message } = raw as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && typeof message === 'string') return new IpcError(code, message);
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

export interface AppInfo {
  data_dir: string;
  db_path: string;
  schema_version: number;
  version: string;
}

export interface Offering {
  id: string;
  name: string;
  teacher_assignment_id: string;
  active_students: number;
}

export const appInfo = () => call<AppInfo>('app_info');
export const offerings = () => call<Offering[]>('offerings');
