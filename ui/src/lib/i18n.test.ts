import { describe, expect, it } from 'vitest';
import { countStudents, format, initialLocale, messages, pickLocale, saveLocale } from './i18n';

describe('pickLocale', () => {
  it.each([
    [['es'], 'es'],
    [['es-MX', 'en-US'], 'es'],
    [['es_ES'], 'es'],
    [['fr-FR', 'es-AR'], 'es'],
    [['en-GB', 'es'], 'en'],
    [['de-DE'], 'en'],
    [[], 'en'],
  ])('%j → %s', (langs, expected) => {
    expect(pickLocale(langs)).toBe(expected);
  });
});

describe('initialLocale', () => {
  const store = (value: string | null) => ({ getItem: () => value });

  it('follows the system language when the user has not chosen', () => {
    expect(initialLocale({ language: 'es-CO', languages: [] }, store(null))).toBe('es');
    expect(initialLocale({ language: 'en-US', languages: ['en-US'] }, store(null))).toBe('en');
  });

  it("prefers the user's saved choice over the system", () => {
    expect(initialLocale({ language: 'en-US', languages: ['en-US'] }, store('es'))).toBe('es');
  });

  it('ignores a saved value it does not know', () => {
    expect(initialLocale({ language: 'es', languages: ['es'] }, store('klingon'))).toBe('es');
  });

  it('round-trips a saved choice', () => {
    const data = new Map<string, string>();
    const storage = { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v) };
    saveLocale('es', storage);
    expect(initialLocale({ language: 'en', languages: ['en'] }, storage)).toBe('es');
  });
});

describe('messages', () => {
  it('has every English key in Spanish too, and translated', () => {
    expect(Object.keys(messages.es).sort()).toEqual(Object.keys(messages.en).sort());
    expect(messages.es.offerings).not.toBe(messages.en.offerings);
  });

  it('pluralizes student counts per locale', () => {
    expect(countStudents('en', 1)).toBe('1 student');
    expect(countStudents('en', 0)).toBe('0 students');
    expect(countStudents('es', 1)).toBe('1 estudiante');
    expect(countStudents('es', 30)).toBe('30 estudiantes');
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(format('v{a} {b}', { a: 1 })).toBe('v1 {b}');
  });
});

describe('every string in both languages', () => {
  const paths = (o: object, prefix = ''): string[] =>
    Object.entries(o).flatMap(([k, v]) =>
      v && typeof v === 'object' ? paths(v, `${prefix}${k}.`) : [`${prefix}${k}`],
    );

  it('has the same nested keys in English and Spanish', () => {
    expect(paths(messages.es).sort()).toEqual(paths(messages.en).sort());
  });

  it('uses the school words in Spanish', () => {
    expect(messages.es.status).toEqual({
      present: 'Presente',
      absent: 'Ausente',
      late: 'Tarde',
      excused: 'Excusado',
    });
    expect(messages.es.rollTitle).toBe('Asistencia');
  });
});
