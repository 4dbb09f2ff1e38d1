import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { EventBus } from '../integration/internal.js';
import { SubscriptionName } from './console-schemas.js';
import { NO_BODY } from './json-body.js';
import type { OperatorAccess } from './operator-access.js';

/**
 * `POST /admin/subscriptions/:name/replay` (operators): replays a durable subscription from the start of the log
 * through the events part's `rebuild`. Answered 202 once the rewind committed (its reset ran, its cursor is at 0, its
 * inbox and dead letters are gone); the events then come again through the usual delivery, which `GET /admin/systems`
 * follows (`undelivered` back to 0). 404 for no such subscription; 409 for one without a reset, or, on NATS, when
 * the stream no longer holds the log's first event.
 */
export function registerSubscriptionRoutes(
  app: FastifyInstance,
  access: OperatorAccess,
  events: Pick<EventBus, 'rebuild'>,
): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/admin/subscriptions/:name/replay',
    {
      ...access.guard,
      schema: {
        summary:
          'Replays a durable subscription from the start of the log: its reset clears what it built, then every event ' +
          'comes through it again (409: it declares no reset, or the NATS stream no longer holds the log’s first event)',
        tags: ['operator'],
        security: [{ bearer: [] }],
        params: z.strictObject({ name: SubscriptionName }),
        body: NO_BODY,
        response: {
          202: z.strictObject({
            subscription: z.string(),
            throughSeq: z.int().describe('the log’s last event at the rewind: the replay is done once it is handled'),
          }),
        },
      },
    },
    async (request, reply) => reply.code(202).send(await events.rebuild(request.params.name)),
  );
}
