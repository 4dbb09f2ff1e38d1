import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError, type DeadLetter, type DeadLetters } from '../integration/internal.js';
import { queryInt } from '../game/index.js';
import { DeadLetterId, DeadLetterView, SubscriptionName } from './console-schemas.js';
import { NO_BODY } from './json-body.js';
import type { OperatorAccess } from './operator-access.js';

/**
 * The dead-letter routes (operators): list them (oldest first, paged, by subscription), inspect one,
 * run one through its subscription's handler again, or throw it away. Each acts on one letter, by id,
 * through the events part's dead-letter table; an id that is not there (never was, or gone) is a 404.
 */
export function registerDeadLetterRoutes(
  app: FastifyInstance,
  access: OperatorAccess,
  deadLetters: Pick<DeadLetters, 'list' | 'get' | 'redrive' | 'discard'>,
): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const guarded = access.guard;
  const tags = ['operator'];
  const security = [{ bearer: [] }];
  const find = async (id: string): Promise<DeadLetter> => {
    const letter = await deadLetters.get(id);
    if (letter === undefined) throw new NotFoundError(`No dead letter ${id} (redriven or discarded already?).`);
    return letter;
  };

  typed.get(
    '/admin/dead-letters',
    {
      ...guarded,
      schema: {
        summary: 'Dead letters, oldest first, paged (`next` continues), optionally of one subscription',
        tags,
        security,
        querystring: z.strictObject({
          subscription: SubscriptionName.optional(),
          limit: queryInt(1, 200, 50),
          after: DeadLetterId.shape.id.optional().describe('the `next` of the previous page'),
        }),
        response: { 200: z.strictObject({ deadLetters: z.array(DeadLetterView), next: z.string().optional() }) },
      },
    },
    async (request) => {
      const { subscription, limit, after } = request.query;
      // One more than asked says whether a next page exists.
      const letters = await deadLetters.list({
        limit: limit + 1,
        ...(subscription === undefined ? {} : { subscription }),
        ...(after === undefined ? {} : { after }),
      });
      const page = letters.slice(0, limit).map(view);
      const last = page.at(-1);
      return letters.length > limit && last !== undefined
        ? { deadLetters: page, next: last.id }
        : { deadLetters: page };
    },
  );

  typed.get(
    '/admin/dead-letters/:id',
    {
      ...guarded,
      schema: {
        summary: 'One dead letter: its envelope, the last error, how many attempts (404: none)',
        tags,
        security,
        params: DeadLetterId,
        response: { 200: DeadLetterView },
      },
    },
    async (request) => view(await find(request.params.id)),
  );

  typed.post(
    '/admin/dead-letters/:id/redrive',
    {
      ...guarded,
      schema: {
        summary:
          'Runs a dead letter through its subscription’s handler again; it stays, with the new error, if that fails',
        tags,
        security,
        params: DeadLetterId,
        // Takes no body: one that says something is refused rather than ignored.
        body: NO_BODY,
        response: {
          200: z.union([
            z.strictObject({ id: z.string(), redriven: z.literal(true) }),
            z.strictObject({ id: z.string(), redriven: z.literal(false), deadLetter: DeadLetterView }),
          ]),
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      await find(id);
      const done = await deadLetters.redrive([id]);
      if (done.includes(id)) return { id, redriven: true as const };
      // Gone without going through here: another re-drive or a discard took it meanwhile. That is the 404 a request
      // after theirs gets; a `redriven: false` would say this re-drive failed, which it did not (nothing ran).
      return { id, redriven: false as const, deadLetter: view(await find(id)) };
    },
  );

  typed.delete(
    '/admin/dead-letters/:id',
    {
      ...guarded,
      schema: {
        summary: 'Throws a dead letter away (404: none)',
        tags,
        security,
        params: DeadLetterId,
        // Takes no body, as the re-drive: one that says something is refused rather than ignored.
        body: NO_BODY,
        response: { 204: z.null().describe('discarded') },
      },
    },
    async (request, reply) => {
      const deleted = await deadLetters.discard([request.params.id]);
      if (deleted === 0)
        throw new NotFoundError(`No dead letter ${request.params.id} (redriven or discarded already?).`);
      return reply.code(204).send(null);
    },
  );
}

/** A dead letter as the routes answer it: the envelope without its absent optional fields. */
function view(letter: DeadLetter): z.infer<typeof DeadLetterView> {
  const { envelope } = letter;
  return {
    ...letter,
    envelope: {
      id: envelope.id,
      type: envelope.type,
      version: envelope.version,
      source: envelope.source,
      time: envelope.time,
      correlationId: envelope.correlationId,
      data: envelope.data,
      ...(envelope.partitionKey == null ? {} : { partitionKey: envelope.partitionKey }),
      ...(envelope.causationId == null ? {} : { causationId: envelope.causationId }),
      ...(envelope.traceparent == null ? {} : { traceparent: envelope.traceparent }),
    },
  };
}
