import { beforeEach, describe, expect, it, vi } from 'vitest';

const invoke = vi.fn();
vi.mock('@tauri-apps/api/core', () => ({ invoke: (...a: unknown[]) => invoke(...a) }));

import { IpcError, call, offerings, toIpcError } from './ipc';

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
    expect(err).toMatchObject({ code: 'database_too_new', message: 'upgrade Rollbook' });
  });

  it('keeps the code of a rejected file', async () => {
    invoke.mockImplementation(async () => { throw { code: 'bad_file', message: 'x.csv was rejected', rows: [] }; });
    await expect(call('roster_import')).rejects.toMatchObject({ code: 'bad_file' });
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

  it('returns an IpcError unchanged', () => {
    const e = new IpcError('not_found', 'gone');
    expect(toIpcError(e)).toBe(e);
  });
});
