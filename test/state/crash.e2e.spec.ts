import { describe, expect, it } from 'vitest';
import { createDatabase } from 'weft/internal';
import { postgresAvailableForTests, postgresTestUrl } from 'weft/testing';
import { killedMidWork, runWorker, withPostgresSchema, withSqliteFile } from '../crash-worker.js';

const KILLS = 20;
/** Transactions a killed run would do; each is killed on a random reported commit well before its last. */
const PER_RUN = 80;
const KILL_BY = 60;
const START = 1_000_000;

interface Tables {
  weft_state_entries: { system: string; key: string; value: string; version: number };
  weft_state_history: { transaction_id: string; system: string; key: string; version: number };
  weft_event_log: { type: string; data: string };
}

/**
 * Kills the worker KILLS times at random points of its work (on a random reported commit: the kill lands wherever the
 * worker has got to by then), lets it finish once, then checks every transaction is all there or not at all.
 */
async function crashAndCheck(
  env: Record<string, string>,
  open: () => Promise<{ url: string; schema?: string }>,
): Promise<void> {
  let midWork = 0;
  for (let kill = 0; kill < KILLS; kill++) {
    const result = await runWorker(
      'test/state/crash/worker.ts',
      { ...env, TRANSACTIONS: String(PER_RUN) },
      1 + Math.floor(Math.random() * KILL_BY),
    );
    // Killed, or (rarely) done before the kill came.
    expect(result.signal === 'SIGKILL' || result.code === 0, result.out).toBe(true);
    if (killedMidWork(result)) midWork++;
  }
  // A kill that came after the worker finished tests nothing; almost all must land in the middle of its transactions.
  expect(midWork).toBeGreaterThanOrEqual(KILLS - 5);
  const final = await runWorker('test/state/crash/worker.ts', env);
  expect(final.code, final.out).toBe(0);

  const target = await open();
  await using db = await createDatabase<Tables>(
    target.schema === undefined ? target.url : { url: target.url, postgres: { schema: target.schema } },
  );
  const entries = await db
    .executor()
    .selectFrom('weft_state_entries')
    .select(['system', 'key', 'value', 'version'])
    .execute();
  const value = (system: string, key: string) =>
    JSON.parse(entries.find((e) => e.system === system && e.key === key)?.value ?? '{}') as {
      gold?: number;
      count?: number;
    };
  const spent = value('economy', 'spent').gold ?? -1;
  // Every transaction moved one gold and counted once, in both systems, or did nothing.
  expect(value('economy', 'bank').gold).toBe(START - spent);
  expect(value('character', 'log').count).toBe(spent);
  expect(spent).toBeGreaterThan(50);
  const perTransaction = await db
    .executor()
    .selectFrom('weft_state_history')
    .select(['transaction_id', (eb) => eb.fn.countAll<number>().as('writes')])
    .groupBy('transaction_id')
    .execute();
  const partial = perTransaction.filter((t) => Number(t.writes) !== 3);
  expect(partial).toEqual([]);
  expect(perTransaction).toHaveLength(spent + 1);
  // Each committed change published its state.changed event in the same transaction.
  const changed = await db
    .executor()
    .selectFrom('weft_event_log')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('type', '=', 'state.changed')
    .executeTakeFirstOrThrow();
  expect(Number(changed.count)).toBe(3 * (spent + 1));
}

const postgres = await postgresAvailableForTests();

describe('state transactions survive SIGKILL at random moments', () => {
  it(
    'on a SQLite file',
    () => withSqliteFile((url) => crashAndCheck({ CRASH_DB_URL: url }, () => Promise.resolve({ url }))),
    300_000,
  );

  it.runIf(postgres)(
    'on PostgreSQL',
    () =>
      withPostgresSchema((schema) =>
        crashAndCheck({ CRASH_DB_URL: postgresTestUrl(), CRASH_SCHEMA: schema }, () =>
          Promise.resolve({ url: postgresTestUrl(), schema }),
        ),
      ),
    300_000,
  );
});
