import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { runHealthChecks, type HealthCheck } from './health.js';
import { problemHandler } from './problem.js';

/** What the HTTP app is built from. */
export interface AppOptions {
  readonly logger: FastifyBaseLogger;
  readonly checks: readonly HealthCheck[];
}

/**
 * The Fastify app: routes, the problem-document error handler, health.
 * It does not listen; `serve` does, and tests call `app.inject()`.
 */
export function buildApp(options: AppOptions): FastifyInstance {
  const app = Fastify({ loggerInstance: options.logger, return503OnClosing: true, forceCloseConnections: 'idle' });
  app.setErrorHandler(problemHandler);

  app.get('/health', async (_request, reply) => {
    const report = await runHealthChecks(options.checks);
    return reply.status(report.status === 'up' ? 200 : 503).send(report);
  });

  return app;
}
