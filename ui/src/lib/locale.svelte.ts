// The window's current language, shared by every component (a rune, so changes re-render).
import { initialLocale, messages, saveLocale } from './i18n';
import type { Locale, Messages } from './i18n';

class LocaleState {
  current: Locale = $state('en');

  get t(): Messages {
    return messages[this.current];
  }

  /** Follows the saved choice or the system language. */
  init(): void {
    this.current = initialLocale();
  }

  /** The user's explicit choice, remembered. */
  choose(locale: Locale): void {
    this.current = locale;
    saveLocale(locale);
  }
}

export const locale = new LocaleState();
