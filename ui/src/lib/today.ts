// Words for an offering's roll on Today's list: the state comes from the core.
import { format, plural } from './i18n';
import type { Locale, Messages } from './i18n';
import type { MissingRoll, SyncStatus, TodayOffering } from './ipc';

/** "Not taken" / "Partly (3 of 28)" / "Taken". */
export function takenLabel(t: Messages, o: Pick<TodayOffering, 'state' | 'marked' | 'active_students'>): string {
  switch (o.state) {
    case 'taken':
      return t.stateTaken;
    case 'partly':
      return format(t.statePartly, { n: o.marked, m: o.active_students });
    default:
      return t.stateNotTaken;
  }
}

/** "2 unsent", or null when everything was sent. */
export function unsentLabel(locale: Locale, t: Messages, unsent: number): string | null {
  return unsent > 0 ? plural(locale, t.unsent, unsent) : null;
}

/** A roll still to take: "not taken" / "partly taken: 12 of 30 marked". */
export function missingLabel(
  locale: Locale,
  t: Messages,
  m: Pick<MissingRoll, 'state' | 'marked' | 'active_students'>,
): string {
  return m.state === 'partly'
    ? plural(locale, t.missingPartly, m.marked, { m: m.active_students })
    : t.missingNotTaken;
}

/** What of the engine's status Today's list and its rolls still to take depend on: the outbox's
 *  counts (an offering's unsent marks) and when a refresh last changed a cached record (a roll
 *  another writer took). Its moves alone (online, the next attempt, a refresh that found
 *  nothing new) change neither; `null` while the status is not known yet. */
export function todayKey(status: SyncStatus | null): string | null {
  if (!status) return null;
  const { pending, sending, unknown, rejected, synced, records_changed_at } = status;
  return JSON.stringify([pending, sending, unknown, rejected, synced, records_changed_at]);
}
