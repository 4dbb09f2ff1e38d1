// The HTTP face of the peers that take a plain transfer (bare, drizzle, weft-minimal, bare-postgres):
// `POST /transfer {from, to, amount}` with account indexes, checked by Fastify's JSON schema validation.
import Fastify, { type FastifyInstance } from 'fastify';
import { ACCOUNTS } from './transfer-protocol.js';

/** The body of a plain transfer, checked by Fastify's own JSON schema validation. */
export interface PlainTransfer {
  readonly from: number;
  readonly to: number;
  readonly amount: number;
}

/** What a transfer came to: done (200, with both new balances), or not enough gold (409). */
export type TransferOutcome =
  { readonly status: 200; readonly from: number; readonly to: number } | { readonly status: 409 };

const bodySchema = {
  type: 'object',
  required: ['from', 'to', 'amount'],
  additionalProperties: false,
  properties: {
    from: { type: 'integer', minimum: 0, maximum: ACCOUNTS - 1 },
    to: { type: 'integer', minimum: 0, maximum: ACCOUNTS - 1 },
    amount: { type: 'integer', minimum: 1 },
  },
} as const;

/** A Fastify app answering `POST /transfer` with `transfer`: 200 with both new balances, or 409. */
export function plainTransferApp(
  transfer: (body: PlainTransfer) => Promise<TransferOutcome> | TransferOutcome,
): FastifyInstance {
  const app = Fastify();
  app.post<{ Body: PlainTransfer }>('/transfer', { schema: { body: bodySchema } }, async (request, reply) => {
    const { from, to } = request.body;
    if (from === to) return reply.code(422).send({ title: 'A transfer goes to another account.' });
    const outcome = await transfer(request.body);
    return outcome.status === 200
      ? { from: { account: from, balance: outcome.from }, to: { account: to, balance: outcome.to } }
      : reply.code(409).send({ title: 'Conflict', detail: 'Not enough gold.' });
  });
  return app;
}
