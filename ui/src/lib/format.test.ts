import { describe, expect, it } from 'vitest';
import { formatDay, formatNumber, formatPercent, relativeTime, weekdayName } from './format';

const now = new Date('2025-03-04T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();

describe('relativeTime', () => {
  it.each([
    [10, 'now'],
    [130, '2 minutes ago'],
    [3600, '1 hour ago'],
    [5 * 3600, '5 hours ago'],
    [26 * 3600, 'yesterday'],
    [3 * 86400, '3 days ago'],
    [-120, 'in 2 minutes'],
  ])('%i s ago in English: %s', (seconds, text) => {
    expect(relativeTime('en', ago(seconds), now)).toBe(text);
  });

  it('speaks Spanish', () => {
    expect(relativeTime('es', ago(10), now)).toBe('ahora');
    expect(relativeTime('es', ago(300), now)).toBe('hace 5 minutos');
    expect(relativeTime('es', ago(26 * 3600), now)).toBe('ayer');
  });

  it('returns an unreadable time as it came', () => {
    expect(relativeTime('en', 'soon', now)).toBe('soon');
  });
});

describe('numbers and dates', () => {
  it('formats fractions as percentages, or a dash without data', () => {
    expect(formatPercent('en', 0.125)).toBe('12.5%');
    expect(formatPercent('es', 0.125)).toMatch(/^12,5\s?%$/);
    expect(formatPercent('en', null)).toBe('—');
    expect(formatNumber('es', 2.5)).toBe('2,5');
    expect(formatNumber('en', 3)).toBe('3');
  });

  it('formats a calendar day in the locale', () => {
    expect(formatDay('en', '2025-03-04')).toBe('Tuesday, March 4, 2025');
    expect(formatDay('es', '2025-03-04')).toBe('martes, 4 de marzo de 2025');
    expect(formatDay('en', 'nope')).toBe('nope');
  });
});

describe('weekdayName', () => {
  it('names ISO weekdays, Monday first, in the locale', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((d) => weekdayName('en', d))).toEqual(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);
    expect(weekdayName('es', 1, 'long')).toBe('lunes');
    expect(weekdayName('en', 7, 'long')).toBe('Sunday');
  });
});
