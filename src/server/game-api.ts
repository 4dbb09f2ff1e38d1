import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ValidationError, currentContext, issue, type Integration } from '../integration/internal.js';
import type { GameRoute, RateLimit, RouteCall } from '../game/index.js';
import { NO_BODY, requireBody } from './json-body.js';
import { accessCheck } from './request-actor.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route: every game route declares it, and a test checks that none is missing. */
    access?: GameRoute['access'];
    /** Whether the route takes an `Idempotency-Key` (the OpenAPI document lists the header for those that do). */
    idempotent?: boolean;
    /** Whether the route answers an `ETag`, and 304 to a matching `If-None-Match` (listed in the OpenAPI document). */
    etag?: boolean;
    /** Whether the route refuses past a limit of its own (429 with `Retry-After`), without @fastify/rate-limit. */
    limited?: boolean;
    /**
     * What the OpenAPI document says of a route without zod schemas (operator routes): its responses by status and
     * its request body, as OpenAPI objects. The document only: neither validation nor serialization changes.
     */
    openapi?: {
      readonly responses?: Readonly<Record<string, object>>;
      readonly requestBody?: Readonly<Record<string, unknown>>;
    };
    /** Behind the operator guard (operator-access.ts), which lets this machine in where the app has no accounts. */
    operator?: boolean;
  }
}

/** How many requests a client may make per minute, by kind of route. */
export interface RateLimits {
  /** Per client address, on sign-up, sign-in and refresh. */
  readonly auth: number;
  /** Per signed-in user (else per address), on commands. */
  readonly command: number;
}

/** The default limits: generous for play, tight for guessing passwords. */
export const DEFAULT_RATE_LIMITS: RateLimits = { auth: 30, command: 600 };

/** `Idempotency-Key` as clients send it: printable ASCII without spaces, 1 to 200 characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** How the game's routes are mounted. */
export interface GameRouteOptions {
  /** Requests per minute by kind of route; default DEFAULT_RATE_LIMITS. */
  readonly rateLimits?: RateLimits;
  /** The SHA-256 of WEFT_ADMIN_TOKEN: its holder may call the admin routes too. */
  readonly adminTokenDigest?: Buffer;
}

/**
 * Mounts the game's routes: each with its zod schemas (request validation, reply serialization,
 * the OpenAPI document), its access check, its rate limit, and a handler that runs commands as the
 * caller, with the request's correlation id and, for routes that take one, its Idempotency-Key. A
 * replayed idempotent command answers `Idempotent-Replayed: true`; an ETag answers 304 to a
 * matching `If-None-Match`; a route that takes a body refuses a request without one (400).
 */
export function mountGameRoutes(
  app: FastifyInstance,
  weft: Pick<Integration, 'execute' | 'commands'>,
  routes: readonly GameRoute[],
  options: GameRouteOptions = {},
): void {
  const limits = options.rateLimits ?? DEFAULT_RATE_LIMITS;
  const typed = app.withTypeProvider<ZodTypeProvider>();
  for (const route of routes) {
    typed.route({
      method: route.method,
      url: route.url,
      schema: {
        summary: route.summary,
        tags: [route.system],
        ...(route.access === 'public' ? {} : { security: [{ bearer: [] }] }),
        // A route that takes no body refuses one that says something (422), rather than act as if it were not there.
        ...(route.schemas.body === undefined
          ? route.method === 'GET'
            ? {}
            : { body: NO_BODY }
          : { body: route.schemas.body }),
        ...(route.schemas.params === undefined ? {} : { params: route.schemas.params }),
        ...(route.schemas.query === undefined ? {} : { querystring: route.schemas.query }),
        response: route.schemas.responses,
      },
      config: {
        access: route.access,
        idempotent: route.idempotent,
        ...(route.etag === true ? { etag: true } : {}),
        ...rateLimitConfig(route.rateLimit, limits),
      },
      // Before the body is read; the rate limit (a preHandler) then knows who asks.
      onRequest: accessCheck(weft, route.access, options.adminTokenDigest),
      ...(route.schemas.body === undefined ? {} : { preValidation: requireBody }),
      handler: (request, reply) => handle(route, weft, request, reply),
    });
  }
}

async function handle(
  route: GameRoute,
  weft: Pick<Integration, 'commands'>,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const idempotencyKey = route.idempotent ? idempotencyKeyOf(request) : undefined;
  const correlationId = currentContext()?.correlationId ?? request.id;
  let replayed = false;
  const call: RouteCall<unknown, unknown, unknown> = {
    body: request.body,
    params: request.params,
    query: request.query,
    actor: request.actor,
    idempotencyKey,
    token: request.accessToken,
    execute: async (command: string | { name: string }, input: unknown) => {
      const ran = await weft.commands.run(command, input, {
        ...(request.actor === undefined ? {} : { actor: request.actor }),
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
        correlationId,
      });
      if (ran.replayed) replayed = true;
      return ran.output;
    },
  };
  const answer = await route.handle(call);
  if (replayed) void reply.header('idempotent-replayed', 'true');
  if (answer.etag !== undefined) {
    void reply.header('etag', answer.etag);
    if (matchesETag(request.headers['if-none-match'], answer.etag)) return reply.code(304).send();
  }
  return reply.code(answer.status ?? 200).send(answer.body);
}

/**
 * Whether `If-None-Match` matches the current ETag (RFC 9110, 13.1.2): `*`, or a list of entity tags compared weakly
 * (`W/"x"` matches `"x"`), as caches and proxies that compress answers send them.
 */
export function matchesETag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const current = etag.replace(/^W\//, '');
  // Each tag is an optional W/ and a quoted string (which may itself hold a comma).
  for (const [, tag] of header.matchAll(/(?:W\/)?("[^"]*")/g)) if (tag === current) return true;
  return false;
}

/** The Idempotency-Key header, checked; absent is allowed (the command then simply runs). */
function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const key = request.headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
    throw new ValidationError('Idempotency-Key is 1 to 200 printable ASCII characters, without spaces.', {
      issues: [issue(['headers', 'idempotency-key'], 'invalid_key', 'not an idempotency key')],
    });
  }
  return key;
}

/** `@fastify/rate-limit`'s per-route settings for a kind of route. */
function rateLimitConfig(kind: RateLimit, limits: RateLimits): { rateLimit?: object } {
  if (kind === 'none') return {};
  if (kind === 'auth') return { rateLimit: { max: limits.auth, timeWindow: '1 minute' } };
  return {
    rateLimit: {
      max: limits.command,
      timeWindow: '1 minute',
      keyGenerator: (request: FastifyRequest) =>
        request.actor === undefined ? request.ip : `user:${request.actor.id}`,
    },
  };
}
