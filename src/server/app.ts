import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { runWithContext, type Alerting, type HealthChecks, type WeftLogger, type WeftMetrics } from '../integration/index.js';
import { problemHandler } from './problem.js';

/** What the HTTP app is built from. */
export interface AppOptions {
  readonly logging: WeftLogger;
  readonly health: HealthChecks;
  readonly metrics: WeftMetrics;
  readonly alerting: Alerting;
}

/**
 * The Fastify app: every request runs in its own context (correlation id from `x-correlation-id`
 * or a new one, echoed back), errors become problem documents, and the operator routes:
 * /health, /health/live, /health/ready, /metrics, /alerts, /logs/recent. It does not listen; `serve` does,
 * and tests call `app.inject()`.
 */
export function buildApp(options: AppOptions): FastifyInstance {
  const { logging, health, metrics, alerting } = options;
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

  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-correlation-id', request.id);
    runWithContext({ correlationId: request.id }, done);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequestDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime);
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
  app.get('/logs/recent', () => ({ lines: logging.recent() }));

  return app;
}
