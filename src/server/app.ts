import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import type { Span } from '@opentelemetry/api';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import {
  SpanKind,
  formatTraceparent,
  idsOf,
  parseTraceparent,
  runWithContext,
  startSpan,
  BadRequestError,
  NotFoundError,
  RateLimitedError,
  type Integration,
  type MonitoringManager,
  type StateStore,
} from '../integration/internal.js';
import type { GameRoute } from '../game/index.js';

import { clientErrorHandler } from './client-error.js';
import { registerConsoleRoutes, type ConsoleRouteOptions } from './console-routes.js';
import { registerConsoleStatic } from './console-static.js';
import { correlationIdOf } from './correlation-id.js';
import { mountGameRoutes, type RateLimits } from './game-api.js';
import { metricsAccess } from './metrics-access.js';
import { RouteTable } from './method-not-allowed.js';
import { registerOpenApi } from './openapi.js';
import { registerJsonBodyParser } from './json-body.js';
import { digest, operatorAccess } from './operator-access.js';
import { auditOperatorAction } from './operator-audit.js';
import { registerOperatorRoutes } from './operator-routes.js';
import { problemHandler } from './problem.js';
import { accessCheck } from './request-actor.js';
import { helmetHeaders, registerSecurityHeaders } from './security-headers.js';
import { registerStateRoutes, type StateRouteStore } from './state-routes.js';
import { registerTraceRoute } from './trace-route.js';

/** What the HTTP app is built from. */
export interface AppOptions {
  /** Logs, metrics, health checks and alerts of the process. */
  readonly monitoring: MonitoringManager;
  /** The state store: its sync status for `GET /status`, its entries, history and rollbacks for `/admin/state/*`. */
  readonly state?: Pick<StateStore, 'getSyncStatus'> & StateRouteStore;
  /**
   * The token that lets a caller other than loopback use the operator routes (`Authorization: Bearer`);
   * without it only loopback may.
   */
  readonly adminToken?: string;
  /** The token that lets a caller other than loopback read /metrics; without it only loopback may. */
  readonly metricsToken?: string;
  /** Origins a browser may call the API from (CORS); none: no CORS headers at all. */
  readonly corsOrigins?: readonly string[];
  /**
   * The game: its routes, mounted with their schemas, access and rate limits, and the integration
   * their commands run on. With it, operator routes need an admin's token (or `adminToken`).
   */
  readonly game?: {
    readonly weft: Pick<Integration, 'execute' | 'commands' | 'db' | 'events'>;
    readonly routes: readonly GameRoute[];
    readonly rateLimits?: RateLimits;
  };
  /**
   * The operator console: its routes (with the game and a state store) and its page at `/console/`
   * (`staticRoot`: the built files; default dist/console). `false`: neither.
   */
  readonly console?: false | (ConsoleRouteOptions & { readonly staticRoot?: string });
}

/** The largest request body accepted (413 beyond): game commands are small. */
const BODY_LIMIT = 64 * 1024;

/**
 * The Fastify app: every request runs in its own context (correlation id from a well-formed
 * `x-correlation-id` or a new one, echoed back; trace from W3C `traceparent` or a new one,
 * answered with the request's own `traceparent`) inside a server span; every error, routed or not,
 * becomes a problem document; the operator routes are registered (`operator-routes.ts`). It does
 * not listen; `serve` does, and tests call `app.inject()`.
 */
export function buildApp(options: AppOptions): FastifyInstance {
  const { logging, metrics } = options.monitoring;
  const game = options.game;
  const adminTokenDigest = options.adminToken === undefined ? undefined : digest(options.adminToken);
  const access = operatorAccess(
    options.adminToken,
    game === undefined ? undefined : (request) => accessCheck(game.weft, 'admin', adminTokenDigest)(request),
  );
  // Typed as Fastify's logger so the app keeps Fastify's default instance type.
  const logger: FastifyBaseLogger = logging.forSystem('http');
  const securityHeaders = helmetHeaders();
  const app = Fastify({
    loggerInstance: logger,
    // The correlation id is read by genReqId, which checks it; Fastify's own header reading would not.
    requestIdHeader: false,
    genReqId: correlationIdOf,
    // `weft serve` drains connections before closing the app (drain.ts); this covers embedders that do not.
    return503OnClosing: true,
    // Errors met before a route exists (a malformed URL, a path parameter too long) are problems too, and carry what
    // every answer carries, though the onRequest hooks that set it have not run.
    frameworkErrors: (error, request, reply) => {
      void reply.headers(securityHeaders).header('x-request-id', request.id).header('x-correlation-id', request.id);
      void problemHandler(error, request, reply);
    },
    clientErrorHandler: clientErrorHandler(logging.forSystem('http'), securityHeaders),
    bodyLimit: BODY_LIMIT,
  });
  // The API speaks JSON: a text body is a 415, not a string that then fails a schema.
  app.removeContentTypeParser('text/plain');
  registerJsonBodyParser(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(problemHandler);
  const routes = new RouteTable();
  routes.watch(app);
  app.setNotFoundHandler((request, reply) => {
    const allowed = routes.allowed(request);
    if (allowed.length === 0) {
      return problemHandler(new NotFoundError(`No route answers ${request.method} at this path.`), request, reply);
    }
    void reply.header('allow', allowed.join(', '));
    return problemHandler(
      new BadRequestError(`This path answers ${allowed.join(', ')}, not ${request.method}.`, {
        code: 'WEFT_METHOD_NOT_ALLOWED',
      }),
      request,
      reply,
    );
  });

  const spans = new WeakMap<FastifyRequest, Span>();
  app.addHook('onRequest', (request, reply, done) => {
    const incoming = parseTraceparent(
      typeof request.headers.traceparent === 'string' ? request.headers.traceparent : undefined,
    );
    const span = startSpan(`HTTP ${request.method}`, {
      kind: SpanKind.SERVER,
      ...(incoming === undefined ? {} : { parent: incoming }),
      attributes: { 'http.request.method': request.method, 'url.path': request.url },
    });
    spans.set(request, span);
    reply.raw.once('close', () => finish(request, reply.raw.statusCode, reply.elapsedTime));
    const ids = idsOf(span, incoming);
    void reply.header('x-correlation-id', request.id);
    // The id the request's log lines and events carry: the operator console finds the action by it.
    void reply.header('x-request-id', request.id);
    void reply.header('traceparent', formatTraceparent(ids));
    runWithContext({ correlationId: request.id, traceId: ids.traceId, spanId: ids.spanId }, done);
  });
  /** Records a request's duration and ends its span, once: a hijacked reply (the event stream) skips onResponse. */
  const finish = (request: FastifyRequest, statusCode: number, elapsedMs: number): void => {
    const span = spans.get(request);
    if (span === undefined) return;
    spans.delete(request);
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequestDuration.observe({ method: request.method, route, status: String(statusCode) }, elapsedMs);
    span.setAttributes({ 'http.route': route, 'http.response.status_code': statusCode });
    span.end();
  };
  const operatorLog = logging.forSystem('operator');
  app.addHook('onResponse', (request, reply, done) => {
    finish(request, reply.statusCode, reply.elapsedTime);
    auditOperatorAction(operatorLog, request, reply.statusCode);
    done();
  });

  registerSecurityHeaders(app, securityHeaders);
  if (options.corsOrigins !== undefined && options.corsOrigins.length > 0) {
    void app.register(cors, {
      origin: [...options.corsOrigins],
      // A browser's script reads only the headers listed here (beyond the CORS-safelisted ones): the request id, a
      // replay, the ETag to send back as If-None-Match, and how long a 429 asks it to wait.
      exposedHeaders: ['x-request-id', 'x-correlation-id', 'idempotent-replayed', 'etag', 'retry-after'],
    });
  }
  // Per route (game routes set theirs); after authentication, so a signed-in user is limited as themself.
  // Its refusal is Weft's RateLimitedError, so the 429 is a problem document with a code of the registry.
  void app.register(rateLimit, {
    global: false,
    hook: 'preHandler',
    errorResponseBuilder: (_request, context) =>
      new RateLimitedError(`Too many requests: at most ${context.max} in this window; try again in ${context.after}.`, {
        retryAfterSeconds: Math.max(1, Math.ceil(context.ttl / 1000)),
      }),
  });
  // Routes go in a plugin registered after the OpenAPI one, so each is in the document.
  void app.register(async (api) => {
    await registerOpenApi(api);
    registerOperatorRoutes(api, {
      monitoring: options.monitoring,
      state: options.state,
      access,
      metrics: metricsAccess(options.metricsToken),
    });
    if (game !== undefined) {
      mountGameRoutes(api, game.weft, game.routes, {
        ...(game.rateLimits === undefined ? {} : { rateLimits: game.rateLimits }),
        ...(adminTokenDigest === undefined ? {} : { adminTokenDigest }),
      });
    }
    if (game !== undefined) registerTraceRoute(api, access, game.weft);
    if (options.state !== undefined) registerStateRoutes(api, access, options.state);
    const consoleOptions = options.console ?? {};
    if (consoleOptions !== false && game !== undefined && options.state !== undefined) {
      registerConsoleRoutes(
        api,
        access,
        { monitoring: options.monitoring, state: options.state, events: game.weft.events },
        consoleOptions,
      );
    }
    if (consoleOptions !== false) await registerConsoleStatic(api, consoleOptions.staticRoot);
  });

  return app;
}
