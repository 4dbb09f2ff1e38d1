import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  NotFoundError,
  SLICE_ID,
  versionOf,
  type HistoryRow,
  type StateChange,
  type StateStore,
} from '../integration/internal.js';
import { requireBody } from './json-body.js';
import type { OperatorAccess } from './operator-access.js';

/** What the state routes ask of the state store. */
export type StateRouteStore = Pick<
  StateStore,
  'get' | 'history' | 'transactionChanges' | 'rollbackState' | 'rollbackTransaction'
>;

/** A slice id as the state store names them: `system` or `system.slice`, snake_case. */
const SliceId = z.string().regex(SLICE_ID, 'a slice id such as economy.wallets');
/** A key or transaction id; the store refuses what it cannot hold (422) and Fastify what is longer than 100 (414). */
const Key = z.string().min(1);

/** The largest version an entry can have: history's `version` is an `integer` column, 32 bits on PostgreSQL. */
const MAX_VERSION = 2_147_483_647;

const EntryParams = z.strictObject({ slice: SliceId, key: Key });
const TransactionParams = z.strictObject({ transactionId: Key });

/** One version as history keeps it (the fields of the trace's state changes); no `value` where it was deleted. */
const Version = z.strictObject({
  system: z.string().describe('the slice id'),
  key: z.string(),
  version: z.int(),
  kind: z.string(),
  value: z.unknown(),
  patch: z.unknown().describe('the RFC 6902 JSON patch from the previous version'),
  transactionId: z.string(),
  correlationId: z.string().optional(),
  changedAt: z.string(),
  changedBy: z.string().optional(),
});

const Entry = z.strictObject({
  system: z.string().describe('the slice id'),
  key: z.string(),
  version: z.int(),
  value: z.unknown(),
  updatedAt: z.string(),
  updatedBy: z.string().optional(),
});

const Change = z.strictObject({
  system: z.string().describe('the slice id'),
  key: z.string(),
  version: z.int(),
  kind: z.enum(['set', 'rollback', 'delete']),
  before: z.unknown(),
  after: z.unknown(),
});

/**
 * The state routes (operators): an entry with its history, a rollback of an entry to one of its
 * versions, what one transaction wrote (the ids `GET /admin/trace/:correlationId` lists), and the
 * rollback of that transaction as a whole. Each rollback is a new version (history is never
 * rewritten), validated like any write, and published as `state.rolled_back`; a slice registered
 * with `rollback: false` (wallets beside their ledger) refuses with a 409.
 */
export function registerStateRoutes(app: FastifyInstance, access: OperatorAccess, state: StateRouteStore): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['operator'];
  const security = [{ bearer: [] }];

  typed.get(
    '/admin/state/entries/:slice/:key',
    {
      ...access.guard,
      schema: {
        summary:
          'One state entry as it is now (null once deleted) and every version history holds (404: never written)',
        tags,
        security,
        params: EntryParams,
        response: { 200: z.strictObject({ current: Entry.nullable(), history: z.array(Version) }) },
      },
    },
    async (request) => {
      const { slice, key } = request.params;
      const [current, history] = await Promise.all([state.get(slice, key), state.history(slice, key)]);
      if (current === undefined && history.length === 0) throw new NotFoundError(`${slice}/${key} was never written.`);
      return { current: current === undefined ? null : entryView(current), history: history.map(versionView) };
    },
  );

  typed.post(
    '/admin/state/entries/:slice/:key/rollback',
    {
      ...access.guard,
      schema: {
        summary:
          'Writes a new version of the entry equal to an earlier one (404: not in history; 409: rollback: false)',
        tags,
        security,
        params: EntryParams,
        body: z.strictObject({
          // At most what history's `integer` column holds on PostgreSQL, so that a larger one is the same 422, with its
          // issue, on every backend (not a 404 on SQLite and the driver's out-of-range, without issues, on PostgreSQL).
          toVersion: z.int().min(1).max(MAX_VERSION).describe('the version whose value comes back'),
        }),
        response: { 200: Entry },
      },
      // No body at all is a 400 saying so, as on the game's routes (a 422 would speak of a null body).
      preValidation: requireBody,
    },
    async (request) => {
      const { slice, key } = request.params;
      return entryView(await state.rollbackState(slice, key, { toVersion: request.body.toVersion }));
    },
  );

  typed.get(
    '/admin/state/transactions/:transactionId',
    {
      ...access.guard,
      schema: {
        summary: 'The state versions one transaction wrote, oldest first (404: none in history)',
        tags,
        security,
        params: TransactionParams,
        response: { 200: z.strictObject({ transactionId: z.string(), changes: z.array(Version) }) },
      },
    },
    async (request) => {
      const { transactionId } = request.params;
      const rows = await state.transactionChanges(transactionId);
      if (rows.length === 0) throw new NotFoundError(`No state change of transaction ${transactionId} is in history.`);
      return { transactionId, changes: rows.map(versionView) };
    },
  );

  typed.post(
    '/admin/state/transactions/:transactionId/rollback',
    {
      ...access.guard,
      schema: {
        summary:
          'Reverts every entry a transaction changed, as one new transaction (409: later changes touched them, ' +
          'listed in `conflicts`, unless force; or a slice with rollback: false, named in `keptSlices`)',
        tags,
        security,
        params: TransactionParams,
        body: z
          .strictObject({ force: z.boolean().default(false).describe('revert even over later changes') })
          .nullish(),
        response: {
          200: z.strictObject({
            transactionId: z.string().describe('the id of the reverting transaction'),
            revertedTransactionId: z.string(),
            reverted: z.array(Change),
          }),
        },
      },
    },
    async (request) => {
      const { transactionId } = request.params;
      const done = await state.rollbackTransaction(transactionId, { force: request.body?.force ?? false });
      return {
        transactionId: done.transactionId,
        revertedTransactionId: transactionId,
        reverted: done.reverted.map(changeView),
      };
    },
  );
}

function entryView(entry: {
  system: string;
  key: string;
  version: number;
  value: unknown;
  updatedAt: string;
  updatedBy: string | undefined;
}) {
  return {
    system: entry.system,
    key: entry.key,
    version: entry.version,
    value: entry.value,
    updatedAt: entry.updatedAt,
    ...(entry.updatedBy === undefined ? {} : { updatedBy: entry.updatedBy }),
  };
}

function versionView(row: HistoryRow) {
  return { ...versionOf(row), ...(row.correlation_id === null ? {} : { correlationId: row.correlation_id }) };
}

function changeView(change: StateChange) {
  return {
    system: change.system,
    key: change.key,
    version: change.version,
    kind: change.kind,
    before: change.before ?? null,
    after: change.after ?? null,
  };
}
