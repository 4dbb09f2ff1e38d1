import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  NotFoundError,
  readEventTrace,
  readStateTrace,
  type Integration,
  type TracedEvent,
} from '../integration/internal.js';
import type { OperatorAccess } from './operator-access.js';

/** A correlation id as `x-request-id` carries it (see correlation-id.ts): safe in a URL and a log line. */
const CorrelationId = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, '1 to 128 of A-Z a-z 0-9 . _ : -');

/** One event of the tree: the fields of its envelope, what each durable subscription made of it, what it caused. */
const TracedEventSchema: z.ZodType<TracedEvent> = z.strictObject({
  id: z.string(),
  seq: z.int(),
  type: z.string(),
  source: z.string(),
  time: z.string(),
  causationId: z.string().optional(),
  data: z.unknown(),
  handlers: z.array(
    z.strictObject({
      subscription: z.string(),
      outcome: z.enum(['handled', 'pending', 'dead-lettered', 'skipped']),
    }),
  ),
  get caused() {
    return z.array(TracedEventSchema);
  },
});

// Recursive, so the OpenAPI document needs it as a component of its own: without an id the generator refers to a
// `schema0` it never defines (fastify-type-provider-zod issue 210).
z.globalRegistry.add(TracedEventSchema, { id: 'TracedEvent' });

/** The causal tree of one action. */
export const Trace = z.strictObject({
  correlationId: z.string(),
  /** Roots first (what the request published), each with the events it caused, in log order. */
  events: z.array(TracedEventSchema),
  eventCount: z.int(),
  /** Every state version the request and its events' handlers wrote, in the order written. */
  stateChanges: z.array(
    z.strictObject({
      system: z.string(),
      key: z.string(),
      version: z.int(),
      kind: z.string(),
      value: z.unknown(),
      patch: z.unknown(),
      transactionId: z.string(),
      changedAt: z.string(),
      changedBy: z.string().optional(),
    }),
  ),
  /** True when the action wrote more than the route reads (1000 events or state changes): the oldest are shown. */
  truncated: z.boolean(),
});

/**
 * `GET /admin/trace/:correlationId` (operators): the events a request caused, as a tree, with each
 * durable subscription's outcome, and the state it changed. The id is any response's `x-request-id`;
 * one nothing was recorded under is a 404.
 */
export function registerTraceRoute(
  app: FastifyInstance,
  access: OperatorAccess,
  weft: Pick<Integration, 'db' | 'events'>,
): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/admin/trace/:correlationId',
    {
      ...access.guard,
      schema: {
        summary:
          'The causal tree of one request: its events, what caused what, handler outcomes, state changes (404: none)',
        tags: ['operator'],
        security: [{ bearer: [] }],
        params: z.strictObject({ correlationId: CorrelationId }),
        response: { 200: Trace },
      },
    },
    async (request) => {
      const { correlationId } = request.params;
      const events = await readEventTrace(weft.db, correlationId, {
        subscriptionsOf: (type) => weft.events.durableSubscriptionsOf(type),
      });
      // Each state transaction publishes state.changed with its id: the history is then read by its transaction index.
      // A truncated tree may miss some, so the history is then searched by correlation id instead.
      const state = await readStateTrace(
        weft.db,
        correlationId,
        events.truncated ? {} : { transactionIds: transactionsOf(events.events) },
      );
      if (events.count === 0 && state.changes.length === 0)
        throw new NotFoundError(`Nothing was recorded under correlation id ${correlationId}.`);
      return {
        correlationId,
        events: events.events,
        eventCount: events.count,
        stateChanges: state.changes,
        truncated: events.truncated || state.truncated,
      };
    },
  );
}

/** The ids of the state transactions whose `state.changed` events are in the tree. */
function transactionsOf(events: readonly TracedEvent[]): string[] {
  return events.flatMap((event) => {
    const data = event.data as { transactionId?: unknown } | null;
    const own = event.type === 'state.changed' && typeof data?.transactionId === 'string' ? [data.transactionId] : [];
    return [...own, ...transactionsOf(event.caused)];
  });
}
