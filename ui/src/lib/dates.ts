// Calendar dates as `YYYY-MM-DD` strings in the computer's own time zone.

const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The local calendar date of `d` (not UTC: a class at 7 pm is still today). */
export function localIsoDate(d: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** A strict `YYYY-MM-DD` as a local Date at midnight, or null. */
export function parseIsoDate(s: string): Date | null {
  const m = ISO.exec(s);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return localIsoDate(d) === s ? d : null;
}

export function isValidIsoDate(s: string): boolean {
  return parseIsoDate(s) !== null;
}

/** `date` comes after `today` (both `YYYY-MM-DD`, so string order is date order). */
export function isFuture(date: string, today: string = localIsoDate()): boolean {
  return date > today;
}

/** The first day of `date`'s month. */
export function monthStart(date: string): string {
  return `${date.slice(0, 7)}-01`;
}

// Dates outside the window of marks (after today, or more than 400 days before it) that the
// user confirmed in this window: their marks are sent with the explicit allow flag, and the
// question is not asked again for them.
const confirmed = new Set<string>();

export const outsideWindow = {
  confirm(date: string): void {
    confirmed.add(date);
  },
  isConfirmed(date: string): boolean {
    return confirmed.has(date);
  },
  /** Forgets every confirmation (tests). */
  forget(): void {
    confirmed.clear();
  },
};
