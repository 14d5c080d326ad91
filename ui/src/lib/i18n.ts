// English and Spanish strings. The locale follows the system (navigator.languages) and the user
// can switch it; the choice is remembered in localStorage.
import en from './messages.en';
import es from './messages.es';
import type { Messages } from './messages.en';

export type { Messages };
export type Locale = 'en' | 'es';
export const LOCALES: readonly Locale[] = ['en', 'es'];
const STORAGE_KEY = 'rollbook.locale';

export const messages: Record<Locale, Messages> = { en, es };

/** The first supported language in the user's list (`es-MX` → `es`), else English. */
export function pickLocale(languages: readonly string[]): Locale {
  for (const tag of languages) {
    const base = tag.toLowerCase().split(/[-_]/)[0];
    if ((LOCALES as readonly string[]).includes(base)) return base as Locale;
  }
  return 'en';
}

/** The saved choice if any, else the system's languages. */
export function initialLocale(
  nav: Pick<Navigator, 'language' | 'languages'> | undefined = globalThis.navigator,
  storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage,
): Locale {
  const saved = storage?.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'es') return saved;
  const langs = nav?.languages?.length ? nav.languages : nav?.language ? [nav.language] : [];
  return pickLocale(langs);
}

export function saveLocale(
  locale: Locale,
  storage: Pick<Storage, 'setItem'> | undefined = globalThis.localStorage,
): void {
  storage?.setItem(STORAGE_KEY, locale);
}

/** Fills `{name}` placeholders. */
export function format(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

export interface PluralForms {
  one: string;
  other: string;
}

/** Picks the locale's plural form for `n` and fills `{n}` (and any other params). */
export function plural(
  locale: Locale,
  forms: PluralForms,
  n: number,
  params: Record<string, string | number> = {},
): string {
  const rule = new Intl.PluralRules(locale).select(n);
  return format(rule === 'one' ? forms.one : forms.other, { ...params, n });
}

/** "1 student" / "3 students" with the locale's plural rules. */
export function countStudents(locale: Locale, n: number): string {
  return plural(locale, messages[locale].students, n);
}
