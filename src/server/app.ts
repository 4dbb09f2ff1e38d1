import { randomUUID } from 'node:crypto';
import type { Span } from '@opentelemetry/api';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import {
  SpanKind,
  formatTraceparent,
  idsOf,
  parseTraceparent,
  runWithContext,
  startSpan,
  LOG_LEVELS,
  ValidationError,
  type LogLevel,
  type MonitoringManager,
  type StateStore,
} from '../integration/internal.js';

import { problemHandler } from './problem.js';

/** What the HTTP app is built from. */
export interface AppOptions {
  /** Logs, metrics, health checks and alerts of the process. */
  readonly monitoring: MonitoringManager;
  /** The state store whose sync status `GET /status` reports. */
  readonly state?: Pick<StateStore, 'getSyncStatus'>;
}

/**
 * The Fastify app: every request runs in its own context (correlation id from `x-correlation-id`
 * or a new one, echoed back; trace from W3C `traceparent` or a new one, answered with the
 * request's own `traceparent`) inside a server span, errors become problem documents, and the operator routes:
 * /health, /health/live, /health/ready, /metrics, /alerts, /logs/recent, PUT /logs/levels/:system, and /status (state
 * sync,
 * when a state store is given). It does not listen; `serve` does,
 * and tests call `app.inject()`.
 */
export function buildApp(options: AppOptions): FastifyInstance {
  const { logging, health, metrics, alerting } = options.monitoring;
  // Typed as Fastify's logger so the app keeps Fastify's default instance type.
  const logger: FastifyBaseLogger = logging.forSystem('http');
  const app = Fastify({
    loggerInstance: logger,
    requestIdHeader: 'x-correlation-id',
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  app.setErrorHandler(problemHandler);

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

  app.get('/health', async (_request, reply) => {
    const report = await health.run();
    return reply.status(report.status === 'down' ? 503 : 200).send(report);
  });
  app.get('/health/live', () => ({ status: 'up' }));
  app.get('/health/ready', async (_request, reply) => {
    const report = await health.run();
    return reply.status(report.status === 'down' ? 503 : 200).send(report);
  });
  app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()));
  app.get('/alerts', () => ({ rules: alerting.list() }));
  const state = options.state;
  if (state !== undefined) app.get('/status', () => state.getSyncStatus());
  app.get('/logs/recent', () => ({ lines: logging.recent() }));
  // Change a system's log level (or every one's, with "*") while the server runs.
  app.put<{ Params: { system: string }; Body: { level?: unknown } }>('/logs/levels/:system', (request) => {
    const level = request.body.level;
    if (typeof level !== 'string' || !(LOG_LEVELS as readonly string[]).includes(level)) {
      throw new ValidationError(`"level" must be one of ${LOG_LEVELS.join(', ')}`, {
        issues: [
          {
            path: ['level'],
            pathText: '$.level',
            code: 'invalid_value',
            message: 'not a log level',
            expected: LOG_LEVELS.join(' | '),
            received: JSON.stringify(level) ?? 'undefined',
          },
        ],
      });
    }
    logging.setLevel(request.params.system, level as LogLevel);
    return { system: request.params.system, level };
  });

  return app;
}
