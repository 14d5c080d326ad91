// Light or dark, following the system's prefers-color-scheme (charts are drawn for it).
import type { Theme } from './ipc';

const QUERY = '(prefers-color-scheme: dark)';

class ThemeState {
  current: Theme = $state('light');
  #started = false;

  /** Reads the system preference and follows its changes (once per window). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const mq = globalThis.matchMedia?.(QUERY);
    if (!mq) return;
    this.current = mq.matches ? 'dark' : 'light';
    mq.addEventListener?.('change', (e) => {
      this.current = e.matches ? 'dark' : 'light';
    });
  }
}

export const theme = new ThemeState();
