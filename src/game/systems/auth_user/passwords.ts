import { hash, verify } from '@node-rs/argon2';

/**
 * A password's argon2id hash (PHC string, salt included), with the library's defaults: argon2id,
 * 19 MiB, 2 passes, the OWASP baseline. (`@node-rs/argon2` exports its algorithm as a const enum,
 * which this project's compiler settings cannot read; its default is argon2id, and a test holds it.)
 */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/**
 * Whether `password` matches `stored`. With no stored hash (an unknown username) it still runs a
 * full verification against a hash made at start, so a wrong username and a wrong password take
 * the same time.
 */
export async function passwordMatches(stored: string | undefined, password: string, decoy: string): Promise<boolean> {
  const matches = await verify(stored ?? decoy, password).catch(() => false);
  return stored !== undefined && matches;
}
