import type { Span } from '@opentelemetry/api';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import {
  SpanKind,
  formatTraceparent,
  idsOf,
  parseTraceparent,
  runWithContext,
  startSpan,
  NotFoundError,
  type MonitoringManager,
  type StateStore,
} from '../integration/internal.js';

import { clientErrorHandler } from './client-error.js';
import { correlationIdOf } from './correlation-id.js';
import { operatorAccess } from './operator-access.js';
import { registerOperatorRoutes } from './operator-routes.js';
import { problemHandler } from './problem.js';

/** What the HTTP app is built from. */
export interface AppOptions {
  /** Logs, metrics, health checks and alerts of the process. */
  readonly monitoring: MonitoringManager;
  /** The state store whose sync status `GET /status` reports. */
  readonly state?: Pick<StateStore, 'getSyncStatus'>;
  /**
   * The token that lets a caller other than loopback use the operator routes (`Authorization: Bearer`);
   * without it only loopback may.
   */
  readonly adminToken?: string;
}

/**
 * The Fastify app: every request runs in its own context (correlation id from a well-formed
 * `x-correlation-id` or a new one, echoed back; trace from W3C `traceparent` or a new one,
 * answered with the request's own `traceparent`) inside a server span; every error, routed or not,
 * becomes a problem document; the operator routes are registered (`operator-routes.ts`). It does
 * not listen; `serve` does, and tests call `app.inject()`.
 */
export function buildApp(options: AppOptions): FastifyInstance {
  const { logging, metrics } = options.monitoring;
  const access = operatorAccess(options.adminToken);
  // Typed as Fastify's logger so the app keeps Fastify's default instance type.
  const logger: FastifyBaseLogger = logging.forSystem('http');
  const app = Fastify({
    loggerInstance: logger,
    // The correlation id is read by genReqId, which checks it; Fastify's own header reading would not.
    requestIdHeader: false,
    genReqId: correlationIdOf,
    // `weft serve` drains connections before closing the app (drain.ts); this covers embedders that do not.
    return503OnClosing: true,
    // Errors met before a route exists (a malformed URL, a path parameter too long) are problems too.
    frameworkErrors: (error, request, reply) => {
      void problemHandler(error, request, reply);
    },
    clientErrorHandler: clientErrorHandler(logging.forSystem('http')),
  });
  app.setErrorHandler(problemHandler);
  app.setNotFoundHandler((request, reply) =>
    problemHandler(new NotFoundError(`No route answers ${request.method} at this path.`), request, reply),
  );

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
    const ids = idsOf(span, incoming);
    void reply.header('x-correlation-id', request.id);
    void reply.header('traceparent', formatTraceparent(ids));
    runWithContext({ correlationId: request.id, traceId: ids.traceId, spanId: ids.spanId }, done);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequestDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime,
    );
    const span = spans.get(request);
    span?.setAttributes({ 'http.route': route, 'http.response.status_code': reply.statusCode });
    span?.end();
    done();
  });

  registerOperatorRoutes(app, { monitoring: options.monitoring, state: options.state, access });

  return app;
}
