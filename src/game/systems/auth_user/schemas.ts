import { z } from 'zod';

/** A username as given: letters are folded to lower case, then 3-32 of [a-z0-9_]. */
export const Username = z
  .string()
  .max(64)
  .transform((name) => name.toLowerCase())
  .pipe(z.string().regex(/^[a-z0-9_]{3,32}$/, 'a username is 3 to 32 of a-z, 0-9 and _'));

/** A password: 10 to 128 characters. */
export const Password = z.string().min(10, 'a password has at least 10 characters').max(128);

export const Role = z.enum(['player', 'admin']);
export type Role = z.infer<typeof Role>;

export const Credentials = z.strictObject({ username: Username, password: Password });
export const Account = z.strictObject({ userId: z.string(), username: z.string() });
export const Me = z.strictObject({ userId: z.string(), username: z.string(), roles: z.array(Role) });

export const Tokens = z.strictObject({
  accessToken: z.string(),
  refreshToken: z.string(),
  tokenType: z.literal('Bearer'),
  /** Seconds until the access token expires. */
  expiresIn: z.int(),
});
export type Tokens = z.infer<typeof Tokens>;

export const RefreshInput = z.strictObject({ refreshToken: z.string().min(1).max(200) });
export const TokenInput = z.strictObject({ accessToken: z.string().min(1).max(4096) });

/** What a valid access token says: the user, their session, and the roles it was signed with. */
export const TokenClaims = z.strictObject({ userId: z.string(), sessionId: z.string(), roles: z.array(Role) });
export type TokenClaims = z.infer<typeof TokenClaims>;

/** Who a valid access token speaks for, read with its open session: the account's name and current roles. */
export const Authenticated = TokenClaims.extend({ username: z.string() });
export type Authenticated = z.infer<typeof Authenticated>;

export const Registered = z.strictObject({ userId: z.string(), username: z.string() });
export const LoggedIn = z.strictObject({ userId: z.string(), sessionId: z.string() });
