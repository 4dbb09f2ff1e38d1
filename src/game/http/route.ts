import type { z } from 'zod';
import type { Actor, Execute } from '../../integration/index.js';

/**
 * Who may call a route: anyone (`public`), a signed-in player (`player`: a player reaches only
 * their own resources, and another player's answer 404, never 403, so ids cannot be probed), or an
 * operator (`admin`).
 */
export type Access = 'public' | 'player' | 'admin';

/** How hard a route is rate-limited: per client address (sign-up, sign-in), or per user (commands). */
export type RateLimit = 'auth' | 'command' | 'none';

/** What a route handler is given: the checked request, who asks, and the one way to change anything. */
export interface RouteCall<Body, Params, Query> {
  readonly body: Body;
  readonly params: Params;
  readonly query: Query;
  /** Undefined on a public route called without a token. */
  readonly actor: Actor | undefined;
  /** The `Idempotency-Key` header of a route that takes one. */
  readonly idempotencyKey: string | undefined;
  /** Runs a command as the caller, with the request's correlation id and idempotency key. */
  readonly execute: Execute;
  /** The access token the request carried (for sign-out), when it carried one. */
  readonly token: string | undefined;
}

/** What a route answers: a status (default 200), a body, and an ETag the server turns into 304s. */
export interface RouteReply<Reply> {
  readonly status?: number;
  readonly body: Reply;
  readonly etag?: string;
}

/** The zod schemas of a route, which validate requests and replies and become its OpenAPI operation. */
export interface RouteSchemas<Body extends z.ZodType, Params extends z.ZodType, Query extends z.ZodType> {
  readonly body?: Body;
  readonly params?: Params;
  readonly query?: Query;
  /** Reply schemas by status: the success ones; errors are problem documents. */
  readonly responses: Readonly<Record<number, z.ZodType>>;
}

/** One HTTP route of a game system, as the server mounts it. */
export interface GameRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  readonly access: Access;
  /** The system it belongs to: its OpenAPI tag. */
  readonly system: string;
  readonly summary: string;
  readonly schemas: RouteSchemas<z.ZodType, z.ZodType, z.ZodType>;
  /** Takes an `Idempotency-Key` header (commands that move gold or items). */
  readonly idempotent: boolean;
  /** Answers an `ETag`, and 304 to a matching `If-None-Match` (the OpenAPI document lists both). */
  readonly etag?: boolean;
  readonly rateLimit: RateLimit;
  handle(call: RouteCall<unknown, unknown, unknown>): Promise<RouteReply<unknown>>;
}

/** A route as a system declares it, typed from its schemas. */
export interface RouteDefinition<Body extends z.ZodType, Params extends z.ZodType, Query extends z.ZodType, Reply> {
  readonly method: GameRoute['method'];
  readonly url: string;
  readonly access: Access;
  readonly summary: string;
  readonly body?: Body;
  readonly params?: Params;
  readonly query?: Query;
  readonly responses: Readonly<Record<number, z.ZodType>>;
  readonly idempotent?: boolean;
  /** The handler answers an `etag`: the route says so in the OpenAPI document (the ETag header, 304). */
  readonly etag?: boolean;
  readonly rateLimit?: RateLimit;
  handle(call: RouteCall<z.infer<Body>, z.infer<Params>, z.infer<Query>>): Promise<RouteReply<Reply>>;
}

/** The routes of one system: each declares its access, schemas and handler; the server mounts them all. */
export function routesOf(system: string, define: (route: RouteMaker) => void): readonly GameRoute[] {
  const routes: GameRoute[] = [];
  const route: RouteMaker = (definition) => {
    routes.push({
      method: definition.method,
      url: definition.url,
      access: definition.access,
      system,
      summary: definition.summary,
      schemas: {
        ...(definition.body === undefined ? {} : { body: definition.body }),
        ...(definition.params === undefined ? {} : { params: definition.params }),
        ...(definition.query === undefined ? {} : { query: definition.query }),
        responses: definition.responses,
      },
      idempotent: definition.idempotent === true,
      ...(definition.etag === true ? { etag: true } : {}),
      rateLimit: definition.rateLimit ?? (definition.method === 'GET' ? 'none' : 'command'),
      // The server validates the request against these schemas before it calls the handler.
      handle: (call) => definition.handle(call as RouteCall<never, never, never>),
    });
  };
  define(route);
  return routes;
}

/** Declares one route (see `routesOf`). */
export type RouteMaker = <
  Body extends z.ZodType = z.ZodUndefined,
  Params extends z.ZodType = z.ZodUndefined,
  Query extends z.ZodType = z.ZodUndefined,
  Reply = unknown,
>(
  definition: RouteDefinition<Body, Params, Query, Reply>,
) => void;
