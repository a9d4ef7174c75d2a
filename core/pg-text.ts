// Postgres `text` and `jsonb` cannot hold NUL (U+0000): an insert that carries one fails every time, and a retried
// activity would retry forever. Every write of text that came from outside (model output, sandbox output, uploaded
// samples) goes through these. NUL becomes U+FFFD, the replacement character; `hadNul` says whether it happened, so
// a caller can record it (a program that contained NUL is a syntax error, whatever its other bytes say).
export const NUL_REPLACEMENT = '\uFFFD';

export const hasNul = (s: string): boolean => s.includes('\0');

/** `s` with every NUL replaced by U+FFFD. */
export function pgText(s: string): string;
export function pgText(s: string | null): string | null;
export function pgText(s: string | null): string | null {
  return s === null || !s.includes('\0') ? s : s.replaceAll('\0', NUL_REPLACEMENT);
}

/** A JSON value with NUL replaced in every string, keys included (jsonb rejects \u0000 too). */
export function pgJson<T>(value: T): T {
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return pgText(v);
    if (v === null || typeof v !== 'object' || depth > 64) return v;
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    if (v instanceof Date) return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [pgText(k), walk(x, depth + 1)]));
  };
  return walk(value, 0) as T;
}

/** Undo pgText for a program whose stored text had NUL: any NUL makes Python refuse the whole source, so putting the
 *  replacement characters back as NUL gives the sandbox a program with the same verdict as the original. */
export const programWithNul = (stored: string): string => stored.replaceAll(NUL_REPLACEMENT, '\0');
