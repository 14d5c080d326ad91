import { beforeEach, describe, expect, it, vi } from 'vitest';

const invoke = vi.fn();
const listen = vi.fn();
vi.mock('@tauri-apps/api/core', () => ({ invoke: (...a: unknown[]) => invoke(...a) }));
vi.mock('@tauri-apps/api/event', () => ({ listen: (...a: unknown[]) => listen(...a) }));

import * as ipc from './ipc';
import {
  CORE_ERROR_CODES,
  IpcError,
  UI_ERROR_CODES,
  call,
  offerings,
  onMarksChanged,
  onSchoolPull,
  onSyncStatus,
  toIpcError,
} from './ipc';
// Read as text: what the UI invokes and what the app registers, and the core's error codes,
// compared below.
import ipcSource from './ipc.ts?raw';
import commandList from '../../../src-tauri/command_list.rs?raw';
import errorSource from '../../../crates/core/src/error.rs?raw';

describe('call', () => {
  beforeEach(() => {
    invoke.mockReset();
  });

  it('passes the command and its arguments through and returns the result', async () => {
    invoke.mockResolvedValue([{ id: 'x', name: 'Math', teacher_assignment_id: 't', active_students: 2 }]);
    await expect(offerings()).resolves.toHaveLength(1);
    expect(invoke).toHaveBeenCalledWith('offerings', undefined);
    await call('app_info', { a: 1 });
    expect(invoke).toHaveBeenLastCalledWith('app_info', { a: 1 });
  });

  it('turns a core error {code, message} into an IpcError with that code', async () => {
    invoke.mockImplementation(async () => { throw { code: 'database_too_new', message: 'upgrade Rollbook' }; });
    const err = await call('app_info').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpcError);
    expect(err).toMatchObject({ code: 'database_too_new', message: 'upgrade Rollbook', rows: [] });
  });

  it('keeps the code and the rows of a rejected file', async () => {
    invoke.mockImplementation(async () => {
      throw {
        code: 'bad_file',
        message: 'x.csv was rejected',
        rows: [{ line: 3, column: 'student_id', reason: 'not a UUID' }],
      };
    });
    const err = (await ipc.rosterPreview('a,b', 'x.csv').catch((e: unknown) => e)) as IpcError;
    expect(err.code).toBe('bad_file');
    expect(err.rows).toEqual([{ line: 3, column: 'student_id', reason: 'not a UUID' }]);
  });
});

describe('typed commands', () => {
  beforeEach(() => {
    invoke.mockReset();
    invoke.mockResolvedValue(null);
  });

  // The Rust parameters are snake_case; Tauri expects camelCase keys from JavaScript.
  it.each([
    [() => ipc.today('2025-03-04'), 'today', { date: '2025-03-04' }],
    [() => ipc.missingRolls(), 'missing_rolls', undefined],
    [() => ipc.calendar(), 'calendar', undefined],
    [() => ipc.saveMeetingDays('o', [1, 3, 5]), 'save_meeting_days', { offering: 'o', days: [1, 3, 5] }],
    [() => ipc.importNonSchoolDays('date', 'c.csv'), 'import_non_school_days', { csv: 'date', fileName: 'c.csv' }],
    [() => ipc.roster('o', 'd'), 'roster', { offering: 'o', date: 'd' }],
    [() => ipc.refreshRoll('o'), 'refresh_roll', { offering: 'o' }],
    [() => ipc.counts('o', 'd'), 'counts', { offering: 'o', date: 'd' }],
    [() => ipc.setMark('o', 's', 'd', 'late'), 'set_mark', { offering: 'o', student: 's', date: 'd', status: 'late' }],
    [() => ipc.markRestPresent('o', 'd'), 'mark_rest_present', { offering: 'o', date: 'd' }],
    [() => ipc.undo('o', 'd'), 'undo', { offering: 'o', date: 'd' }],
    [() => ipc.history('o', 's', 'd'), 'history', { offering: 'o', student: 's', date: 'd' }],
    [() => ipc.rosterPreview('csv', 'f.csv'), 'roster_preview', { csv: 'csv', fileName: 'f.csv' }],
    [() => ipc.rosterImport('csv', 'f.csv'), 'roster_import', { csv: 'csv', fileName: 'f.csv' }],
    [() => ipc.settings(), 'settings', undefined],
    [() => ipc.saveSettings('https://x', null), 'save_settings', { apiUrl: 'https://x', schoolId: null }],
    [() => ipc.saveRefreshMinutes('5'), 'save_refresh_minutes', { minutes: '5' }],
    [() => ipc.signIn('tok'), 'sign_in', { token: 'tok' }],
    [() => ipc.signOut(), 'sign_out', undefined],
    [() => ipc.retention(), 'retention', undefined],
    [() => ipc.saveRetention('30'), 'save_retention', { keepDays: '30' }],
    [() => ipc.previewPurge('30'), 'preview_purge', { keepDays: '30' }],
    [() => ipc.purgeNow(''), 'purge_now', { keepDays: '' }],
    [() => ipc.syncStatus(), 'sync_status', undefined],
    [() => ipc.syncNow(), 'sync_now', undefined],
    [() => ipc.syncProblems(), 'sync_problems', undefined],
    [() => ipc.resendUnknown(), 'resend_unknown', undefined],
    [() => ipc.discard(7), 'discard', { id: 7 }],
    [() => ipc.retry(7), 'retry', { id: 7 }],
    [() => ipc.leaveDemo(), 'leave_demo', undefined],
    [() => ipc.windowShown(), 'window_shown', undefined],
    [() => ipc.appInfo(), 'app_info', undefined],
    [() => ipc.searchStudents('an'), 'search_students', { query: 'an' }],
    [
      () => ipc.studentView('s', null, '2025-03-31', 'dark', 'es'),
      'student_view',
      { student: 's', from: null, to: '2025-03-31', theme: 'dark', lang: 'es' },
    ],
    [
      () => ipc.classView('o', '2025-03-01', null, 'light', 'en'),
      'class_view',
      { offering: 'o', from: '2025-03-01', to: null, theme: 'light', lang: 'en' },
    ],
    [() => ipc.exportStudent('s', null, null, 'html'), 'export_student', { student: 's', from: null, to: null, kind: 'html' }],
    [() => ipc.exportClass('o', null, null, 'png'), 'export_class', { offering: 'o', from: null, to: null, kind: 'png' }],
  ])('%#: %s', async (run, cmd, args) => {
    await run();
    expect(invoke).toHaveBeenCalledWith(cmd, args);
  });
});

describe('events', () => {
  beforeEach(() => {
    listen.mockReset();
  });

  it('hands each sync-status payload to the callback and stops on unlisten', async () => {
    const unlisten = vi.fn();
    let handler: ((e: { payload: unknown }) => void) | undefined;
    listen.mockImplementation(async (_name: string, h: typeof handler) => {
      handler = h;
      return unlisten;
    });
    const seen: unknown[] = [];
    const stop = onSyncStatus((s) => seen.push(s));
    expect(listen).toHaveBeenCalledWith('sync-status', expect.any(Function));
    await Promise.resolve();
    await Promise.resolve();
    handler?.({ payload: { pending: 2 } });
    expect(seen).toEqual([{ pending: 2 }]);
    stop();
    expect(unlisten).toHaveBeenCalledOnce();
  });

  it('unlistens even when stopped before listen resolved', async () => {
    const unlisten = vi.fn();
    let resolve: (u: () => void) => void = () => {};
    listen.mockReturnValue(new Promise((r) => (resolve = r)));
    const stop = onMarksChanged(() => {});
    expect(listen).toHaveBeenCalledWith('marks-changed', expect.any(Function));
    stop();
    resolve(unlisten);
    await new Promise((r) => setTimeout(r, 0));
    expect(unlisten).toHaveBeenCalledOnce();
  });

  it('hands on school-pull events, a failure with its code read as toIpcError reads one', async () => {
    let handler: ((e: { payload: unknown }) => void) | undefined;
    listen.mockImplementation(async (_name: string, h: typeof handler) => {
      handler = h;
      return () => {};
    });
    const seen: unknown[] = [];
    onSchoolPull((e) => seen.push(e));
    expect(listen).toHaveBeenCalledWith('school-pull', expect.any(Function));
    const progress = { kind: 'progress', done: 1, total: 3, records: 9, failed: 0 };
    handler?.({ payload: progress });
    handler?.({ payload: { kind: 'failed', code: 'remote', message: 'the server is down' } });
    handler?.({ payload: { kind: 'failed', code: 'brand_new', message: 'from a newer core' } });
    expect(seen).toEqual([
      progress,
      { kind: 'failed', code: 'remote', message: 'the server is down' },
      { kind: 'failed', code: 'unknown', message: 'from a newer core' },
    ]);
  });

  it('survives a shell that refuses the listen permission', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    listen.mockRejectedValue('event.listen not allowed');
    const stop = onSyncStatus(() => {});
    await new Promise((r) => setTimeout(r, 0));
    expect(error).toHaveBeenCalled();
    stop();
    error.mockRestore();
  });
});

describe('toIpcError', () => {
  it('gives shell rejections (plain strings, e.g. denied by the ACL) the code "ipc"', () => {
    expect(toIpcError('Command foo not allowed by ACL')).toMatchObject({
      code: 'ipc',
      message: 'Command foo not allowed by ACL',
    });
  });

  it('keeps the message of a thrown Error', () => {
    expect(toIpcError(new TypeError('boom'))).toMatchObject({ code: 'ipc', message: 'boom' });
  });

  it('never loses an error, whatever its shape', () => {
    expect(toIpcError(undefined)).toMatchObject({ code: 'unknown', message: 'undefined' });
    expect(toIpcError({ message: 'no code' })).toMatchObject({ code: 'unknown', message: 'no code' });
    expect(toIpcError(42).message).toBe('42');
  });

  it('reads a code it does not know as "unknown", keeping the message', () => {
    expect(toIpcError({ code: 'brand_new', message: 'from a newer core' })).toMatchObject({
      code: 'unknown',
      message: 'from a newer core',
    });
  });

  it('returns an IpcError unchanged', () => {
    const e = new IpcError('not_found', 'gone');
    expect(toIpcError(e)).toBe(e);
  });
});

describe('the UI contract', () => {
  /** ipc.ts's code without its comments (a comment may quote a call). */
  const ipcCode = ipcSource.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  /** The commands the app registers: the function part of each `module::function` line of
   *  src-tauri/command_list.rs, the app's one list of commands. */
  const listed = [...commandList.matchAll(/^\s*\w+::(\w+)\s*,?\s*$/gm)].map((m) => m[1]);
  /** The commands ipc.ts invokes: the name each `call('name', …)` passes to the shell. */
  const called = [...ipcCode.matchAll(/\bcall\s*(?:<[^()]*?>)?\(\s*['"]([a-z0-9_]+)['"]/g)].map((m) => m[1]);

  it('reads the command list and every command ipc.ts calls', () => {
    expect(listed.length, 'no `module::function` line found in src-tauri/command_list.rs').toBeGreaterThan(0);
    expect(called.length, "no call('name', …) found in ui/src/lib/ipc.ts").toBeGreaterThan(0);
    // The scan above sees call() only: invoke must be reached through it.
    expect(
      ipcCode.match(/\binvoke\b\s*(?:<[^()]*?>)?\(/g),
      'ipc.ts invokes the shell only inside call(), where commands are found by name',
    ).toHaveLength(1);
  });

  it('calls exactly the commands the app registers (src-tauri/command_list.rs)', () => {
    const notRegistered = [...new Set(called.filter((c) => !listed.includes(c)))];
    const notCalled = listed.filter((c) => !called.includes(c));
    const problems = [
      notRegistered.length > 0 &&
        `ipc.ts calls ${notRegistered.join(', ')}, which src-tauri/command_list.rs does not list: ` +
          'the app does not register it, so the UI still builds and the call fails only at run time, ' +
          'when a user gets there (add it to the list and to capabilities/main.json, or fix the name)',
      notCalled.length > 0 &&
        `src-tauri/command_list.rs lists ${notCalled.join(', ')}, which ipc.ts never calls: ` +
          'the window is granted a command no screen can reach, or its typed function was lost ' +
          '(add the function to ipc.ts, or drop the command)',
    ].filter(Boolean);
    expect(problems, problems.join('\n')).toEqual([]);
  });

  /** The codes `rollbook_core::Error::code()` answers: the strings of its match arms. */
  const codeFn = errorSource.match(/pub fn code\(&self\)[\s\S]*?\n {4}\}\n/)?.[0] ?? '';
  const coreCodes = [...codeFn.matchAll(/=>\s*"([a-z_]+)"/g)].map((m) => m[1]);

  it('types exactly the error codes of rollbook_core::Error::code(), and the UI\'s own', () => {
    expect(coreCodes.length, 'no `pub fn code(&self)` match found in crates/core/src/error.rs').toBeGreaterThan(0);
    const ui: readonly string[] = CORE_ERROR_CODES;
    const notTyped = coreCodes.filter((c) => !ui.includes(c));
    const notInCore = ui.filter((c) => !coreCodes.includes(c));
    const problems = [
      notTyped.length > 0 &&
        `crates/core/src/error.rs's code() answers ${notTyped.join(', ')}, which ErrorCode ` +
          '(ui/src/lib/ipc-error.ts) does not name: the UI would read it as "unknown", and a ' +
          'branch meant for it could never be written (add it to CORE_ERROR_CODES)',
      notInCore.length > 0 &&
        `ErrorCode names ${notInCore.join(', ')}, which code() in crates/core/src/error.rs no ` +
          'longer answers: a branch on it is dead (drop it from CORE_ERROR_CODES, and its branches)',
    ].filter(Boolean);
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it("keeps the UI's own codes apart from the core's: those toIpcError falls back to", () => {
    expect(UI_ERROR_CODES.filter((c) => coreCodes.includes(c))).toEqual([]);
    const fallbacks = new Set([toIpcError('denied by the ACL').code, toIpcError(undefined).code]);
    expect(fallbacks).toEqual(new Set(UI_ERROR_CODES));
  });
});
