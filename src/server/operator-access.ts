import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../integration/internal.js';

/** Who may use the operator routes until accounts exist: the local machine, or a holder of the admin token. */
export interface OperatorAccess {
  /** True when the request comes from loopback (and not through a proxy) or carries the admin token. */
  readonly isOperator: (request: FastifyRequest) => boolean;
  /** An `onRequest` hook: refuses anyone else with a 401 before the body is read. */
  readonly requireOperator: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

/** The challenge a 401 answers with (RFC 6750). */
const CHALLENGE = 'Bearer realm="weft-operator"';

/**
 * The guard of the operator routes. A request is judged by its socket's remote address (127.0.0.0/8,
 * ::1, ::ffff:127.x), never by a forwarded header: such a header can only take the trust away (a local
 * reverse proxy makes every caller look like loopback), never grant it. Anyone else needs
 * `Authorization: Bearer <adminToken>`, compared in constant time; without a token set, nobody else.
 */
export function operatorAccess(adminToken: string | undefined): OperatorAccess {
  // Digests have one length whatever was sent, so the comparison leaks neither content nor length.
  const expected = adminToken === undefined ? undefined : digest(adminToken);
  const hasToken = (request: FastifyRequest): boolean => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([^\s]+)$/i.exec(header) : null;
    return expected !== undefined && match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
  };
  const isOperator = (request: FastifyRequest): boolean =>
    (isLoopback(request.socket.remoteAddress) && !isForwarded(request)) || hasToken(request);
  return {
    isOperator,
    requireOperator: (request, reply) => {
      if (isOperator(request)) return Promise.resolve();
      void reply.header('www-authenticate', CHALLENGE);
      return Promise.reject(
        new UnauthorizedError(
          'Operator routes answer on loopback, or to Authorization: Bearer with the WEFT_ADMIN_TOKEN of the server.',
        ),
      );
    },
  };
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

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
