import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { EventBus, MonitoringManager, StateStore } from '../integration/internal.js';
import { RecentMetrics } from './console-schemas.js';
import { registerDeadLetterRoutes } from './dead-letter-routes.js';
import { registerEventStreamRoute, type EventStreamOptions } from './event-stream-route.js';
import { MetricsSampler, type MetricsSamplerOptions } from './metrics-sampler.js';
import type { OperatorAccess } from './operator-access.js';
import { registerSubscriptionRoutes } from './subscription-routes.js';
import { registerSystemsRoute } from './systems-route.js';

/** How the console's routes behave; tests poll and sample faster. */
export interface ConsoleRouteOptions {
  readonly stream?: EventStreamOptions;
  readonly sampler?: MetricsSamplerOptions;
}

/** What the console's routes read. */
export interface ConsoleSources {
  readonly monitoring: Pick<MonitoringManager, 'metrics' | 'logging'>;
  readonly state: Pick<StateStore, 'getSyncStatus'>;
  readonly events: Pick<EventBus, 'log' | 'wiring' | 'backlog' | 'deadLetters' | 'rebuild'>;
}

/**
 * The routes the operator console reads besides the existing operator ones, all behind the operator
 * guard: the live event stream, dead letters, systems, subscription replays, and recent throughput (a sampler of this
 * process's metrics, started when the app is ready and stopped when it closes).
 */
export function registerConsoleRoutes(
  app: FastifyInstance,
  access: OperatorAccess,
  sources: ConsoleSources,
  options: ConsoleRouteOptions = {},
): void {
  const { monitoring, state, events } = sources;
  registerEventStreamRoute(app, access, events, options.stream);
  registerDeadLetterRoutes(app, access, events.deadLetters);
  registerSystemsRoute(app, access, { state, events, metrics: monitoring.metrics });
  registerSubscriptionRoutes(app, access, events);
  const sampler = new MetricsSampler(
    monitoring.metrics.registry,
    monitoring.logging.forSystem('http'),
    options.sampler,
  );
  app.addHook('onReady', () => sampler.start());
  app.addHook('onClose', () => sampler.stop());
  app.withTypeProvider<ZodTypeProvider>().get(
    '/admin/metrics/recent',
    {
      ...access.guard,
      schema: {
        summary: 'Events/s, deliveries/s, delivery lag and handler p99, sampled from this process’s metrics',
        tags: ['operator'],
        security: [{ bearer: [] }],
        response: { 200: RecentMetrics },
      },
    },
    () => ({ intervalMs: sampler.intervalMs, samples: [...sampler.recent()] }),
  );
}
