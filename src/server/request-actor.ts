import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  ForbiddenError,
  UnauthorizedError,
  isWeftError,
  type Actor,
  type Integration,
} from '../integration/internal.js';
import type { Access } from '../game/index.js';
import { ADMIN_TOKEN_ACTOR, bearerMatches } from './operator-access.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who the request speaks for, once its access check ran: a signed-in user, or undefined on a public route. */
    actor: Actor | undefined;
    /** The bearer token the request carried, if any. */
    accessToken: string | undefined;
  }
}

/** The bearer token of `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]{1,4096})$/.exec(header);
  return match?.[1];
}

/** The challenge a 401 of a game route answers with (RFC 6750). */
const CHALLENGE = 'Bearer realm="weft"';

/**
 * Resolves who a request speaks for through the auth_user system (`auth_user.authenticate`: the
 * token's signature and expiry, and that its session is still open), then enforces `access`:
 * `public` lets anyone in (a valid token still names the actor), `player` needs a signed-in user
 * (401 otherwise, with a `WWW-Authenticate` challenge), `admin` a user with the admin role (403 for a
 * player) or the admin token (`adminTokenDigest`: the SHA-256 of WEFT_ADMIN_TOKEN), which acts as
 * ADMIN_TOKEN_ACTOR.
 */
export function accessCheck(weft: Pick<Integration, 'execute'>, access: Access, adminTokenDigest?: Buffer) {
  return async (request: FastifyRequest, reply?: FastifyReply): Promise<void> => {
    const token = bearerToken(request);
    request.accessToken = token;
    request.actor = undefined;
    if (access === 'admin' && bearerMatches(request, adminTokenDigest)) {
      request.actor = ADMIN_TOKEN_ACTOR;
      return;
    }
    if (token !== undefined) {
      try {
        const who = await weft.execute('auth_user.authenticate', { accessToken: token });
        request.actor = { kind: 'user', id: who.userId, name: who.username, roles: who.roles };
      } catch (error) {
        // A public route answers a caller whose token went bad as it answers anyone.
        if (access !== 'public' || !isWeftError(error) || error.status >= 500) throw challenged(error, reply);
      }
    }
    if (access === 'public') return;
    if (request.actor === undefined) {
      throw challenged(
        new UnauthorizedError(
          token === undefined
            ? 'Sign in first: send Authorization: Bearer <access token>.'
            : 'The access token is not valid.',
        ),
        reply,
      );
    }
    if (access === 'admin' && !(request.actor.roles ?? []).includes('admin')) {
      throw new ForbiddenError('This route is for operators (the admin role).');
    }
  };
}

/** The error, after a 401 has set its challenge on the reply. */
function challenged(error: unknown, reply: FastifyReply | undefined): unknown {
  if (reply !== undefined && isWeftError(error, 'WEFT_UNAUTHORIZED')) void reply.header('www-authenticate', CHALLENGE);
  return error;
}
