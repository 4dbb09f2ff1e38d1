import { z } from 'zod';
import { defineEvent } from '../events/internal.js';

const change = z.object({
  system: z.string(),
  key: z.string(),
  version: z.int(),
  kind: z.enum(['set', 'rollback', 'delete']),
  transactionId: z.string(),
  // The new value; null when the entry was deleted.
  value: z.unknown(),
});

/** Every committed state change, durable: other processes and systems react to it. Ordered per entry. */
export const stateChanged = defineEvent({
  type: 'state.changed',
  version: 1,
  owner: 'state',
  durable: true,
  schema: change,
  partitionKey: (data) => `${data.system}:${data.key}`,
});

/** A rollback (of an entry or of a transaction) was committed. */
export const stateRolledBack = defineEvent({
  type: 'state.rolled_back',
  version: 1,
  owner: 'state',
  durable: true,
  schema: change.extend({ toVersion: z.int().optional(), revertedTransactionId: z.string().optional() }),
  partitionKey: (data) => `${data.system}:${data.key}`,
});
