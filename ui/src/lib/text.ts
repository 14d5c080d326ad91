// Name matching and initials for the roster grid and searches.

/** Lower case without accents or diacritics: "José Núñez" → "jose nunez". */
export function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** Every word of the query starts or occurs in the name, ignoring accents and case. */
export function matchesName(name: string, query: string): boolean {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const hay = fold(name);
  return words.every((w) => hay.includes(w));
}

/** Up to two letters: first and last word ("Ana María Gómez" → "AG"). */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  const first = [...words[0]][0] ?? '';
  const last = words.length > 1 ? ([...words[words.length - 1]][0] ?? '') : '';
  return (first + last).toLocaleUpperCase();
}
