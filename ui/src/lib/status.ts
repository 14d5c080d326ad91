// Attendance statuses as the grid shows them: button order and the click/Space cycle.
import type { Status } from './ipc';

/** The order of the status buttons in a row. */
export const STATUSES: readonly Status[] = ['present', 'absent', 'late', 'excused'];

/** Clicking the current status (or Space) moves along this ring. */
const CYCLE: readonly Status[] = ['present', 'late', 'absent', 'excused'];

/** The status after `current` in the cycle present → late → absent → excused → present;
 *  an unmarked row starts at present. */
export function nextStatus(current: Status | null): Status {
  if (current === null) return 'present';
  return CYCLE[(CYCLE.indexOf(current) + 1) % CYCLE.length];
}

/** What a click on `clicked` sets: the clicked status, or the next one if it is current. */
export function statusAfterClick(current: Status | null, clicked: Status): Status {
  return current === clicked ? nextStatus(current) : clicked;
}
