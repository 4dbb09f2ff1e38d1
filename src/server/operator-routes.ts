import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { publicHealthReport, type MonitoringManager, type StateStore } from '../integration/internal.js';
import { parseLevelChange } from './log-level-change.js';
import type { OperatorAccess } from './operator-access.js';
import {
  HEALTH_RESPONSES,
  LEVEL_CHANGE_OPENAPI,
  LIVE_RESPONSES,
  METRICS_RESPONSES,
  jsonObject,
} from './operator-openapi.js';

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
  // A health report answers 200 (up or degraded) and 503 (down) alike: the document says so, as the 503 is no problem.
  const healthReport = { ...open, config: { openapi: { responses: HEALTH_RESPONSES } } };

  app.get<{ Querystring: { detail?: string } }>('/health', healthReport, async (request, reply) => {
    // The detail names targets and error text: only operators see it.
    const detail = wantsDetail(request.query.detail);
    if (detail) await access.requireOperator(request, reply);
    const report = await health.run();
    return reply.status(report.status === 'down' ? 503 : 200).send(detail ? report : publicHealthReport(report));
  });
  app.get('/health/live', { ...open, config: { openapi: { responses: LIVE_RESPONSES } } }, () => ({ status: 'up' }));
  app.get('/health/ready', healthReport, async (_request, reply) => {
    const report = await health.run();
    return reply.status(report.status === 'down' ? 503 : 200).send(publicHealthReport(report));
  });
  app.get(
    '/metrics',
    { ...open, onRequest: options.metrics, config: { openapi: { responses: METRICS_RESPONSES } } },
    async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()),
  );

  const report = (description: string) => ({
    ...guarded,
    config: { ...guarded.config, openapi: { responses: { 200: jsonObject(description) } } },
  });
  app.get('/alerts', report('Every alert rule with its state and recent transitions (`rules`)'), () => ({
    rules: alerting.list(),
  }));
  if (state !== undefined)
    app.get('/status', report('How in sync each system’s state is'), () => state.getSyncStatus());
  app.get('/logs/recent', report('The recent warnings and errors (`lines`)'), () => ({ lines: logging.recent() }));
  // Change a system's log level (or every one's, with "*") while the server runs.
  const levels = { ...guarded, config: { ...guarded.config, openapi: LEVEL_CHANGE_OPENAPI } };
  app.put<{ Params: { system: string }; Body: unknown }>('/logs/levels/:system', levels, (request) => {
    const change = parseLevelChange(request.params.system, request.body);
    logging.setLevel(change.system, change.level);
    return change;
  });
}

function wantsDetail(value: string | undefined): boolean {
  return value === '1' || value === 'true';
}
