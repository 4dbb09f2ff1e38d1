import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { publicHealthReport, type MonitoringManager, type StateStore } from '../integration/internal.js';
import { parseLevelChange } from './log-level-change.js';
import type { OperatorAccess } from './operator-access.js';

/** What the operator routes read. */
export interface OperatorRoutesOptions {
  readonly monitoring: MonitoringManager;
  readonly state?: Pick<StateStore, 'getSyncStatus'> | undefined;
  readonly access: OperatorAccess;
  /** The guard of /metrics: the machine itself, or WEFT_METRICS_TOKEN. */
  readonly metrics: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

/**
 * The operator routes. Open to anyone: /health, /health/live, /health/ready (what probes need);
 * /metrics to the machine or WEFT_METRICS_TOKEN. Behind the operator guard: /health?detail=1,
 * /alerts, /logs/recent, PUT /logs/levels/:system and /status.
 */
export function registerOperatorRoutes(app: FastifyInstance, options: OperatorRoutesOptions): void {
  const { monitoring, state, access } = options;
  const { logging, health, metrics, alerting } = monitoring;
  // In the OpenAPI document too: the probes' routes open, the rest needing an admin's token.
  const open = { schema: { tags: ['operator'] } };
  const guarded = { ...access.guard, schema: { tags: ['operator'], security: [{ bearer: [] }] } };

  app.get<{ Querystring: { detail?: string } }>('/health', open, async (request, reply) => {
    // The detail names targets and error text: only operators see it.
    const detail = wantsDetail(request.query.detail);
    if (detail) await access.requireOperator(request, reply);
    const report = await health.run();
    return reply.status(report.status === 'down' ? 503 : 200).send(detail ? report : publicHealthReport(report));
  });
  app.get('/health/live', open, () => ({ status: 'up' }));
  app.get('/health/ready', open, async (_request, reply) => {
    const report = await health.run();
    return reply.status(report.status === 'down' ? 503 : 200).send(publicHealthReport(report));
  });
  app.get('/metrics', { ...open, onRequest: options.metrics }, async (_request, reply) =>
    reply.type(metrics.contentType).send(await metrics.text()),
  );

  app.get('/alerts', guarded, () => ({ rules: alerting.list() }));
  if (state !== undefined) app.get('/status', guarded, () => state.getSyncStatus());
  app.get('/logs/recent', guarded, () => ({ lines: logging.recent() }));
  // Change a system's log level (or every one's, with "*") while the server runs.
  app.put<{ Params: { system: string }; Body: unknown }>('/logs/levels/:system', guarded, (request) => {
    const change = parseLevelChange(request.params.system, request.body);
    logging.setLevel(change.system, change.level);
    return change;
  });
}

function wantsDetail(value: string | undefined): boolean {
  return value === '1' || value === 'true';
}
