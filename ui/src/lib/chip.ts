// What the sync chip says, from the engine's status and the sign-in settings. Only a choice of
// words: every count comes from the core.
import { plural } from './i18n';
import type { Locale, Messages } from './i18n';
import type { Settings, SyncStatus } from './ipc';

export type ChipKind =
  | 'loading'
  | 'signed_out'
  | 'read_only'
  | 'attention'
  | 'sending'
  | 'offline'
  | 'waiting'
  | 'all_sent';

export interface ChipState {
  kind: ChipKind;
  /** The number the label carries (items waiting or needing attention). */
  count: number;
  /** Items not yet on the server (pending + sending + unknown + rejected). */
  unsent: number;
}

/** The chip's state; the first matching rule wins:
 *  signed out / blocked by auth → read-only → problems → sending → offline → waiting → all sent. */
export function chipState(status: SyncStatus | null, settings: Settings | null): ChipState {
  if (!status) return { kind: 'loading', count: 0, unsent: 0 };
  const waiting = status.pending + status.sending;
  const problems = status.unknown + status.rejected;
  const unsent = waiting + problems;
  const is = (kind: ChipKind, count = 0): ChipState => ({ kind, count, unsent });
  if (status.blocked?.reason === 'auth' || (settings && !settings.signed_in)) {
    return is('signed_out', unsent);
  }
  if (status.blocked?.reason === 'permission' || settings?.read_only) {
    return is('read_only', unsent);
  }
  if (problems > 0) return is('attention', problems);
  if (status.running && waiting > 0) return is('sending', waiting);
  if (status.sending > 0) return is('sending', waiting);
  if (waiting > 0 && !status.online) return is('offline', waiting);
  if (waiting > 0) return is('waiting', waiting);
  return is('all_sent');
}

/** The chip's words: "All sent", "3 waiting", "Sending…", "2 need attention", "Offline"... */
export function chipLabel(chip: ChipState, locale: Locale, t: Messages): string {
  switch (chip.kind) {
    case 'loading':
      return t.chipLoading;
    case 'signed_out':
      return t.chipSignedOut;
    case 'read_only':
      return t.chipReadOnly;
    case 'attention':
      return plural(locale, t.chipAttention, chip.count);
    case 'sending':
      return t.chipSending;
    case 'offline':
      return t.chipOffline;
    case 'waiting':
      return plural(locale, t.chipWaiting, chip.count);
    case 'all_sent':
      return t.chipAllSent;
  }
}
