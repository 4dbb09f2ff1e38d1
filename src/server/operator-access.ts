import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { UnauthorizedError, type Actor } from '../integration/internal.js';

/**
 * Who may use the operator routes: a signed-in account with the admin role, or a holder of the
 * admin token (automation); where the app has no accounts, the local machine or the token holder.
 */
export interface OperatorAccess {
  /**
   * An `onRequest` hook: refuses anyone else (401, or 403 for a signed-in player) before the body is read,
   * and names who passed in `request.actor`.
   */
  readonly requireOperator: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /**
   * What an operator route spreads into its options: the guard, and in its config `access: 'admin'` (the audit
   * log, the docs) and `operator: true` (the OpenAPI document: no 403 where there are no accounts).
   */
  readonly guard: {
    readonly onRequest: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    readonly config: { readonly access: 'admin'; readonly operator: true };
  };
}

/**
 * Checks that a request is an admin's (its bearer token, through the accounts system, or the admin token) and sets
 * `request.actor`; throws 401 or 403 otherwise.
 */
export type AdminCheck = (request: FastifyRequest) => Promise<void>;

/** Who a holder of `WEFT_ADMIN_TOKEN` acts as: automation, not an account. */
export const ADMIN_TOKEN_ACTOR: Actor = Object.freeze({
  kind: 'operator',
  id: 'admin-token',
  name: 'WEFT_ADMIN_TOKEN',
  roles: Object.freeze(['admin']),
});

/** Who a caller on this machine acts as where the app has no accounts. */
export const LOOPBACK_ACTOR: Actor = Object.freeze({
  kind: 'operator',
  id: 'loopback',
  name: 'this machine',
  roles: Object.freeze(['admin']),
});

/** The challenge a 401 answers with (RFC 6750). */
const CHALLENGE = 'Bearer realm="weft-operator"';

/**
 * The guard of the operator routes. With accounts, `admin` decides: an admin's access token or the
 * admin token passes (the game's access check, so the token is judged in one place) and anyone else
 * is refused. Without them, `Authorization: Bearer <adminToken>` (compared in constant time) passes,
 * and so does a request from the machine, judged by its socket's remote address (127.0.0.0/8, ::1,
 * ::ffff:127.x), never by a forwarded header: such a header can only take the trust away (a local
 * reverse proxy makes every caller look like loopback), never grant it.
 */
export function operatorAccess(adminToken: string | undefined, admin?: AdminCheck): OperatorAccess {
  // Digests have one length whatever was sent, so the comparison leaks neither content nor length.
  const expected = adminToken === undefined ? undefined : digest(adminToken);
  const requireOperator = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    // With accounts, being on the machine is not enough: an admin signs in like anyone else.
    if (admin !== undefined) {
      try {
        await admin(request);
        return;
      } catch (error) {
        void reply.header('www-authenticate', CHALLENGE);
        throw error;
      }
    }
    if (bearerMatches(request, expected)) {
      request.actor = ADMIN_TOKEN_ACTOR;
      return;
    }
    if (isLocal(request)) {
      request.actor = LOOPBACK_ACTOR;
      return;
    }
    void reply.header('www-authenticate', CHALLENGE);
    throw new UnauthorizedError(
      'Operator routes answer on loopback, or to Authorization: Bearer with the WEFT_ADMIN_TOKEN of the server.',
    );
  };
  return { requireOperator, guard: { onRequest: requireOperator, config: { access: 'admin', operator: true } } };
}

/**
 * Whether the request's bearer token is the secret whose SHA-256 is `expected` (constant time; false without a secret).
 */
export function bearerMatches(request: FastifyRequest, expected: Buffer | undefined): boolean {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer ([^\s]+)$/i.exec(header) : null;
  return expected !== undefined && match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
}

/** A request from this machine, not passed on by a proxy. */
export function isLocal(request: FastifyRequest): boolean {
  return isLoopback(request.socket.remoteAddress) && !isForwarded(request);
}

/** True for an address of the loopback interface, IPv4, IPv6 or IPv4-mapped IPv6. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** A request a proxy passed on: its socket's address is the proxy's, not the caller's. */
function isForwarded(request: FastifyRequest): boolean {
  const headers = request.headers;
  return (
    headers.forwarded !== undefined || headers['x-forwarded-for'] !== undefined || headers['x-real-ip'] !== undefined
  );
}

/** A secret's SHA-256, the form secrets are compared in. */
export function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
