// Dates, times, numbers and relative times in the user's language (Intl).
import { parseIsoDate } from './dates';

/** `YYYY-MM-DD` as a calendar date: "Tuesday, March 4, 2025" / "martes, 4 de marzo de 2025". */
export function formatDay(
  locale: string,
  iso: string,
  style: 'full' | 'long' | 'medium' | 'short' = 'full',
): string {
  const d = parseIsoDate(iso);
  return d ? new Intl.DateTimeFormat(locale, { dateStyle: style }).format(d) : iso;
}

/** An ISO weekday (1 = Monday … 7 = Sunday) in words: "Mon" / "lun". */
export function weekdayName(locale: string, weekday: number, style: 'long' | 'short' = 'short'): string {
  // 2024-01-01 was a Monday; noon UTC is the same day in every time zone.
  const d = new Date(Date.UTC(2024, 0, weekday, 12));
  return new Intl.DateTimeFormat(locale, { weekday: style, timeZone: 'UTC' }).format(d);
}

/** An RFC 3339 instant as a local date and time. */
export function formatInstant(locale: string, instant: string | null): string {
  if (!instant) return '';
  const d = new Date(instant);
  if (Number.isNaN(d.getTime())) return instant;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' }).format(d);
}

/** An RFC 3339 instant as a local time of day ("08:12"). */
export function formatClock(locale: string, instant: string | null): string {
  if (!instant) return '';
  const d = new Date(instant);
  if (Number.isNaN(d.getTime())) return instant;
  return new Intl.DateTimeFormat(locale, { timeStyle: 'short' }).format(d);
}

/** A fraction 0..1 as a percentage ("12.5%"), or an em dash when there is nothing to divide. */
export function formatPercent(locale: string, fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || Number.isNaN(fraction)) return '—';
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(
    fraction,
  );
}

/** Up to one decimal ("2.5" / "2,5"): day counts can be fractional. */
export function formatNumber(locale: string, n: number): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(n);
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];

/** "just now" / "5 minutes ago" / "in 2 hours" / "yesterday", localized. */
export function relativeTime(locale: string, instant: string, now: Date = new Date()): string {
  const then = new Date(instant);
  if (Number.isNaN(then.getTime())) return instant;
  const seconds = Math.round((then.getTime() - now.getTime()) / 1000);
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const abs = Math.abs(seconds);
  if (abs < 45) return rtf.format(0, 'second');
  for (const [unit, size] of UNITS) {
    if (abs >= size || unit === 'minute') {
      return rtf.format(Math.round(seconds / size), unit);
    }
  }
  return rtf.format(0, 'second');
}
