// Words for an offering's roll on Today's list: the state comes from the core.
import { format, plural } from './i18n';
import type { Locale, Messages } from './i18n';
import type { MissingRoll, TodayOffering } from './ipc';

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
