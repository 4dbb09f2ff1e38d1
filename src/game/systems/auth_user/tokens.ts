import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, errors, jwtVerify } from 'jose';
import { UnauthorizedError } from '../../../integration/index.js';
import { Role, type TokenClaims } from './schemas.js';

/** Access tokens live this long (seconds). */
export const ACCESS_TOKEN_SECONDS = 15 * 60;
/** Refresh tokens live this long (seconds): 30 days. */
export const REFRESH_TOKEN_SECONDS = 30 * 24 * 60 * 60;
const ISSUER = 'weft';

/** Verified tokens kept; past it the oldest goes. */
const VERIFIED_KEPT = 10_000;

/** Signs and checks access tokens (HS256 JWTs naming the user, their roles and their session). */
export class AccessTokens {
  readonly #key: Uint8Array;
  /**
   * Tokens whose signature checked out, with their claims and expiry: every authenticated request checks its token,
   * and the HMAC through WebCrypto was about a seventh of an authenticated read (`npm run bench -- http`). A token is
   * immutable, so its signature need not be checked twice; its expiry is, on each use, and its session by the caller.
   */
  readonly #verified = new Map<string, { readonly who: TokenClaims; readonly expiresAt: number }>();
  /**
   * Signature checks under way, by token: requests that bring the same new token at once (a client's parallel calls
   * after sign-in, every client after a restart) share one check. Without it each ran its own, queued on libuv's four
   * threads behind the others, and under load the queue outgrew the answers: 2,000 checks in 3 s for 50 tokens
   * (`GET /me` with 50 connections taking turns with 50 tokens, the servers of `npm run bench -- http`).
   */
  readonly #checking = new Map<string, Promise<TokenClaims>>();

  constructor(secret: string) {
    this.#key = new TextEncoder().encode(secret);
  }

  /** A token for `who`, valid for ACCESS_TOKEN_SECONDS from `now`. */
  sign(who: TokenClaims, now = Date.now()): Promise<string> {
    const issuedAt = Math.floor(now / 1000);
    return new SignJWT({ sid: who.sessionId, roles: who.roles })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setSubject(who.userId)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ACCESS_TOKEN_SECONDS)
      .sign(this.#key);
  }

  /**
   * Who the token speaks for, or an UnauthorizedError (bad signature, expired, malformed). Its session is not checked
   * here.
   */
  async verify(token: string, now = Date.now()): Promise<TokenClaims> {
    const known = this.#verified.get(token);
    if (known !== undefined) {
      if (now < known.expiresAt) return known.who;
      this.#verified.delete(token);
      throw new UnauthorizedError('The access token has expired; refresh it.');
    }
    const checking = this.#checking.get(token);
    if (checking !== undefined) return checking;
    const check = this.#verifySignature(token, now).finally(() => this.#checking.delete(token));
    this.#checking.set(token, check);
    return check;
  }

  async #verifySignature(token: string, now: number): Promise<TokenClaims> {
    try {
      const { payload } = await jwtVerify(token, this.#key, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        // A token without an expiry would be good for ever: ours all have one.
        requiredClaims: ['exp', 'sub'],
        currentDate: new Date(now),
      });
      const roles = Role.array().safeParse(payload.roles);
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || !roles.success) {
        throw new UnauthorizedError('The access token is not one of ours.');
      }
      if (typeof payload.exp !== 'number') throw new UnauthorizedError('The access token is not one of ours.');
      const who = { userId: payload.sub, sessionId: payload.sid, roles: roles.data };
      this.#remember(token, who, payload.exp * 1000);
      return who;
    } catch (error) {
      if (error instanceof UnauthorizedError) throw error;
      const expired = error instanceof errors.JWTExpired;
      throw new UnauthorizedError(
        expired ? 'The access token has expired; refresh it.' : 'The access token is not valid.',
        {
          cause: error,
        },
      );
    }
  }

  #remember(token: string, who: TokenClaims, expiresAt: number): void {
    if (this.#verified.size >= VERIFIED_KEPT) {
      const oldest = this.#verified.keys().next();
      if (oldest.done !== true) this.#verified.delete(oldest.value);
    }
    this.#verified.set(token, { who, expiresAt });
  }
}

/** A new opaque refresh token: 32 random bytes, base64url. */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * What is stored for a refresh token: its SHA-256 (the token has 256 bits of entropy, so no salt or slow hash is
 * needed).
 */
export function refreshTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** A secret for signing access tokens: 32 random bytes, base64url. */
export function newSigningSecret(): string {
  return randomBytes(32).toString('base64url');
}
