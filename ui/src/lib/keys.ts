// The roll call grid's keyboard map, as a pure function of the key event.
import type { Status } from './ipc';

export type GridAction =
  | { type: 'move'; by: number }
  | { type: 'first' }
  | { type: 'last' }
  | { type: 'set'; status: Status }
  | { type: 'cycle' }
  | { type: 'undo' }
  | { type: 'rest' }
  | { type: 'help' };

export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  shiftKey?: boolean;
}

/** Status letters. English P/A/L/E always work; Spanish adds T (Tarde). */
const LETTERS: Record<string, Status> = { p: 'present', a: 'absent', l: 'late', e: 'excused', t: 'late' };

/** The action a key stands for in the grid, or null to leave the key alone. */
export function gridAction(e: KeyLike, locale: 'en' | 'es' = 'en'): GridAction | null {
  const key = e.key;
  if (e.altKey) return null;
  if (e.ctrlKey || e.metaKey) {
    return !e.shiftKey && key.toLowerCase() === 'z' ? { type: 'undo' } : null;
  }
  switch (key) {
    case 'ArrowDown':
      return { type: 'move', by: 1 };
    case 'ArrowUp':
      return { type: 'move', by: -1 };
    case 'Home':
      return { type: 'first' };
    case 'End':
      return { type: 'last' };
    case ' ':
    case 'Spacebar':
      return { type: 'cycle' };
    case '?':
      return { type: 'help' };
  }
  if (key === 'R' && e.shiftKey) return { type: 'rest' };
  if (e.shiftKey || key.length !== 1) return null;
  const lower = key.toLowerCase();
  if (lower === 'j') return { type: 'move', by: 1 };
  if (lower === 'k') return { type: 'move', by: -1 };
  if (lower === 't' && locale !== 'es') return null;
  const status = LETTERS[lower];
  return status ? { type: 'set', status } : null;
}

/** A row index moved by `by`, kept inside 0..len-1. */
export function clampIndex(index: number, by: number, len: number): number {
  if (len <= 0) return 0;
  return Math.min(len - 1, Math.max(0, index + by));
}
