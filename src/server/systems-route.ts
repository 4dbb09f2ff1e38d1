import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { EventBus, StateStore, WeftMetrics } from '../integration/internal.js';
import { SystemsView } from './console-schemas.js';
import { readMetric, sumByLabel } from './metric-readings.js';
import type { OperatorAccess } from './operator-access.js';

/** What the systems route asks: the state's sync status, the events' subscriptions and backlog, the metrics. */
export interface SystemsSources {
  readonly state: Pick<StateStore, 'getSyncStatus'>;
  readonly events: Pick<EventBus, 'wiring' | 'backlog' | 'deadLetters'>;
  readonly metrics: Pick<WeftMetrics, 'registry'>;
}

/**
 * `GET /admin/systems` (operators): per system, its slices' sync status (entries, last change, as
 * `/status`) and its durable subscriptions with what they have not handled yet, their delivery lag,
 * their dead letters and their handler failures. Each part answers for its own figures: the state
 * store for slices, the event bus for backlog and dead letters, this process's metrics for lag and failures.
 */
export function registerSystemsRoute(app: FastifyInstance, access: OperatorAccess, sources: SystemsSources): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/admin/systems',
    {
      ...access.guard,
      schema: {
        summary:
          'Each system’s slices (entries, last change) and subscriptions (undelivered, lag, dead letters, failures)',
        tags: ['operator'],
        security: [{ bearer: [] }],
        response: { 200: SystemsView },
      },
    },
    () => readSystems(sources),
  );
}

async function readSystems(sources: SystemsSources) {
  const { state, events, metrics } = sources;
  const wiring = events.wiring();
  const [status, backlog, dead, failed, lag] = await Promise.all([
    state.getSyncStatus(),
    events.backlog({ types: wiring.events.map((event) => event.type) }),
    events.deadLetters.counts(),
    readMetric(metrics.registry, 'weft_events_failed_total'),
    readMetric(metrics.registry, 'weft_event_delivery_lag_ms'),
  ]);
  const failures = sumByLabel(failed, 'subscription');
  const lags = sumByLabel(lag, 'subscription');
  const deadBy = new Map(dead.map((count) => [count.subscription, count.count]));
  const wired = new Map(wiring.subscriptions.map((s) => [s.name, s]));
  const names = new Set([...status.systems.map((slice) => slice.system), ...backlog.subscriptions.map(ownerOf)]);
  return {
    health: status.health,
    systems: [...names].sort().map((name) => ({
      name,
      slices: status.systems
        .filter((slice) => slice.system === name)
        // Field by field: a figure the state part adds later does not break this route's reply schema.
        .map((slice) => ({
          system: slice.system,
          slice: slice.slice,
          entries: slice.entries,
          ...(slice.lastChangeAt === undefined ? {} : { lastChangeAt: slice.lastChangeAt }),
          ...(slice.lastVersion === undefined ? {} : { lastVersion: slice.lastVersion }),
          changesLastMinute: slice.changesLastMinute,
          conflictsLastMinute: slice.conflictsLastMinute,
          callbacksFailing: slice.callbacksFailing,
          undeliveredEvents: slice.undeliveredEvents,
          deadLetters: slice.deadLetters,
        })),
      subscriptions: backlog.subscriptions
        .filter((subscription) => ownerOf(subscription) === name)
        .map(({ subscription, undelivered }) => ({
          name: subscription,
          pattern: wired.get(subscription)?.pattern ?? '',
          replayable: wired.get(subscription)?.replayable === true,
          undelivered,
          lagMs: lags.get(subscription) ?? 0,
          deadLetters: deadBy.get(subscription) ?? 0,
          failures: failures.get(subscription) ?? 0,
        })),
    })),
  };
}

/** The system a subscription belongs to: systems name theirs `<system>.<name>`. */
function ownerOf(subscription: { readonly subscription: string } | string): string {
  const name = typeof subscription === 'string' ? subscription : subscription.subscription;
  const dot = name.indexOf('.');
  return dot === -1 ? name : name.slice(0, dot);
}
