import { describe, expect, it } from 'vitest';
import { chipLabel, chipState } from './chip';
import { messages } from './i18n';
import type { Settings, SyncStatus } from './ipc';

const idle: SyncStatus = {
  pending: 0,
  sending: 0,
  unknown: 0,
  rejected: 0,
  synced: 10,
  blocked: null,
  read_denied: false,
  last_success_at: '2025-03-04T12:00:00Z',
  next_attempt_at: null,
  paused_until: null,
  online: true,
  running: false,
  last_refresh_at: null,
  last_refresh_new_records: 0,
  records_changed_at: null,
};
const signedIn: Settings = {
  api_url: 'https://api.athena-erp.com',
  school_id: null,
  signed_in: true,
  read_only: false,
  demo: false,
  refresh_minutes: 10,
};

describe('chipState', () => {
  it.each([
    ['all sent', {}, {}, 'all_sent', 0],
    ['waiting', { pending: 3 }, {}, 'waiting', 3],
    ['sending while a pass runs', { pending: 2, sending: 1, running: true }, {}, 'sending', 3],
    ['sending with a POST out', { sending: 1 }, {}, 'sending', 1],
    ['offline', { pending: 4, online: false }, {}, 'offline', 4],
    ['problems first', { pending: 4, unknown: 1, rejected: 2 }, {}, 'attention', 3],
    ['signed out', { pending: 1 }, { signed_in: false }, 'signed_out', 1],
    ['token refused', { blocked: { reason: 'auth' as const, message: '401' } }, {}, 'signed_out', 0],
    ['read-only token', { blocked: { reason: 'permission' as const, message: '403' } }, {}, 'read_only', 0],
    ['read-only setting', { rejected: 1 }, { read_only: true }, 'read_only', 1],
    ['offline with nothing waiting is still all sent', { online: false }, {}, 'all_sent', 0],
  ])('%s', (_name, status, settings, kind, count) => {
    const chip = chipState({ ...idle, ...status }, { ...signedIn, ...settings });
    expect(chip.kind).toBe(kind);
    expect(chip.kind === 'signed_out' || chip.kind === 'read_only' ? chip.unsent : chip.count).toBe(count);
  });

  it('is loading until the first status arrives', () => {
    expect(chipState(null, signedIn).kind).toBe('loading');
  });
});

describe('chipLabel', () => {
  const label = (status: Partial<SyncStatus>, locale: 'en' | 'es' = 'en', settings = signedIn) =>
    chipLabel(chipState({ ...idle, ...status }, settings), locale, messages[locale]);

  it('says it in English', () => {
    expect(label({})).toBe('All sent');
    expect(label({ pending: 3 })).toBe('3 waiting');
    expect(label({ sending: 1 })).toBe('Sending…');
    expect(label({ unknown: 1 })).toBe('1 needs attention');
    expect(label({ rejected: 2 })).toBe('2 need attention');
    expect(label({ pending: 1, online: false })).toBe('Offline');
    expect(label({}, 'en', { ...signedIn, signed_in: false })).toBe('Signed out');
    expect(label({}, 'en', { ...signedIn, read_only: true })).toBe('Read-only');
  });

  it('and in Spanish', () => {
    expect(label({}, 'es')).toBe('Todo enviado');
    expect(label({ pending: 3 }, 'es')).toBe('3 en espera');
    expect(label({ rejected: 2 }, 'es')).toBe('2 requieren atención');
    expect(label({ pending: 1, online: false }, 'es')).toBe('Sin conexión');
  });
});
