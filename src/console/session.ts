import type { Tokens } from './api.js';

const KEY = 'weft-console-tokens';

/** The signed-in operator's tokens, kept for this tab only (sessionStorage): a reload stays signed in. */
export function savedTokens(): Tokens | undefined {
  const text = sessionStorage.getItem(KEY);
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as Tokens;
  } catch {
    // Not ours, or damaged: signed out.
    sessionStorage.removeItem(KEY);
    return undefined;
  }
}

/** Keeps the tokens (undefined: forgets them, signed out). */
export function saveTokens(tokens: Tokens | undefined): void {
  if (tokens === undefined) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, JSON.stringify(tokens));
}
