import { describe, expect, it } from 'vitest';
import { nextStatus, statusAfterClick, STATUSES } from './status';
import { clampIndex, gridAction } from './keys';
import { fold, initials, matchesName } from './text';
import { isFuture, isValidIsoDate, localIsoDate, monthStart, parseIsoDate } from './dates';
import { href, parseRoute } from './route';
import type { Route } from './route';
import { takenLabel, unsentLabel } from './today';
import { messages } from './i18n';

describe('status cycle', () => {
  it.each([
    [null, 'present'],
    ['present', 'late'],
    ['late', 'absent'],
    ['absent', 'excused'],
    ['excused', 'present'],
  ] as const)('%s → %s', (from, to) => {
    expect(nextStatus(from)).toBe(to);
  });

  it('a click on another status sets it; on the current one cycles', () => {
    expect(statusAfterClick(null, 'absent')).toBe('absent');
    expect(statusAfterClick('present', 'absent')).toBe('absent');
    expect(statusAfterClick('present', 'present')).toBe('late');
    expect(statusAfterClick('excused', 'excused')).toBe('present');
  });

  it('shows the buttons in P A L E order', () => {
    expect(STATUSES).toEqual(['present', 'absent', 'late', 'excused']);
  });
});

describe('grid keys', () => {
  it.each([
    [{ key: 'ArrowDown' }, { type: 'move', by: 1 }],
    [{ key: 'ArrowUp' }, { type: 'move', by: -1 }],
    [{ key: 'j' }, { type: 'move', by: 1 }],
    [{ key: 'k' }, { type: 'move', by: -1 }],
    [{ key: 'J' }, { type: 'move', by: 1 }],
    [{ key: 'Home' }, { type: 'first' }],
    [{ key: 'End' }, { type: 'last' }],
    [{ key: 'p' }, { type: 'set', status: 'present' }],
    [{ key: 'P' }, { type: 'set', status: 'present' }],
    [{ key: 'a' }, { type: 'set', status: 'absent' }],
    [{ key: 'l' }, { type: 'set', status: 'late' }],
    [{ key: 'e' }, { type: 'set', status: 'excused' }],
    [{ key: ' ' }, { type: 'cycle' }],
    [{ key: 'z', ctrlKey: true }, { type: 'undo' }],
    [{ key: 'Z', ctrlKey: true }, { type: 'undo' }],
    [{ key: 'z', metaKey: true }, { type: 'undo' }],
    [{ key: 'R', shiftKey: true }, { type: 'rest' }],
    [{ key: '?', shiftKey: true }, { type: 'help' }],
  ])('%j → %j', (key, action) => {
    expect(gridAction(key)).toEqual(action);
  });

  it.each([
    { key: 'r' },
    { key: 'x' },
    { key: 'P', shiftKey: true },
    { key: 'c', ctrlKey: true },
    { key: 'z', ctrlKey: true, shiftKey: true },
    { key: 'p', altKey: true },
    { key: 'Tab' },
    { key: 'Enter' },
    { key: 't' },
  ])('leaves %j alone', (key) => {
    expect(gridAction(key)).toBeNull();
  });

  it('takes T for Tarde in Spanish, and still L', () => {
    expect(gridAction({ key: 't' }, 'es')).toEqual({ type: 'set', status: 'late' });
    expect(gridAction({ key: 'l' }, 'es')).toEqual({ type: 'set', status: 'late' });
  });

  it('keeps the focus inside the list', () => {
    expect(clampIndex(0, -1, 5)).toBe(0);
    expect(clampIndex(4, 1, 5)).toBe(4);
    expect(clampIndex(2, 1, 5)).toBe(3);
    expect(clampIndex(0, 1, 0)).toBe(0);
  });
});

describe('names', () => {
  it('folds accents and case', () => {
    expect(fold('José Núñez ÁÉÍÓÚ ü')).toBe('jose nunez aeiou u');
  });

  it.each([
    ['José Núñez', 'jose', true],
    ['José Núñez', 'NUÑEZ', true],
    ['José Núñez', 'nun jo', true],
    ['María Gómez', 'gomez maria', true],
    ['María Gómez', 'pérez', false],
    ['Anything', '   ', true],
  ])('%s matches %j: %s', (name, q, ok) => {
    expect(matchesName(name, q)).toBe(ok);
  });

  it('takes the initials of the first and last word', () => {
    expect(initials('Ana María Gómez')).toBe('AG');
    expect(initials('ángela')).toBe('Á');
    expect(initials('  ')).toBe('?');
  });
});

describe('dates', () => {
  it('uses the local calendar date', () => {
    expect(localIsoDate(new Date(2025, 2, 4, 23, 30))).toBe('2025-03-04');
  });

  it('parses only strict, real dates', () => {
    expect(parseIsoDate('2025-03-04')?.getDate()).toBe(4);
    expect(isValidIsoDate('2025-02-30')).toBe(false);
    expect(isValidIsoDate('2025-3-4')).toBe(false);
    expect(isValidIsoDate('')).toBe(false);
  });

  it('knows a future date and a month start', () => {
    expect(isFuture('2025-03-05', '2025-03-04')).toBe(true);
    expect(isFuture('2025-03-04', '2025-03-04')).toBe(false);
    expect(isFuture('2024-12-31', '2025-03-04')).toBe(false);
    expect(monthStart('2025-03-17')).toBe('2025-03-01');
  });
});

describe('routes', () => {
  const routes: Route[] = [
    { screen: 'today', date: null },
    { screen: 'today', date: '2025-03-04' },
    { screen: 'roll', offering: 'ab-12', date: '2025-03-04' },
    { screen: 'counselor', student: null, offering: null },
    { screen: 'counselor', student: 's1', offering: null },
    { screen: 'counselor', student: null, offering: 'o1' },
    { screen: 'counselor', student: 's1', offering: 'o1' },
    { screen: 'settings' },
  ];
  it.each(routes)('round-trips %j', (route) => {
    expect(parseRoute(href(route))).toEqual(route);
  });

  it('falls back to Today', () => {
    expect(parseRoute('')).toEqual({ screen: 'today', date: null });
    expect(parseRoute('#/nowhere')).toEqual({ screen: 'today', date: null });
    expect(parseRoute('#/roll/only-offering')).toEqual({ screen: 'today', date: null });
  });
});

describe("Today's labels", () => {
  const en = messages.en;
  const es = messages.es;
  it.each([
    ['not_taken', 0, 'Not taken', 'Sin tomar'],
    ['partly', 3, 'Partly (3 of 28)', 'En parte (3 de 28)'],
    ['taken', 28, 'Taken', 'Tomada'],
  ] as const)('%s', (state, marked, english, spanish) => {
    const o = { state, marked, active_students: 28 };
    expect(takenLabel(en, o)).toBe(english);
    expect(takenLabel(es, o)).toBe(spanish);
  });

  it('says how many are unsent, or nothing', () => {
    expect(unsentLabel('en', en, 0)).toBeNull();
    expect(unsentLabel('en', en, 2)).toBe('2 unsent');
    expect(unsentLabel('es', es, 1)).toBe('1 sin enviar');
  });
});
