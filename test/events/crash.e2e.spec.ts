import { describe, expect, it } from 'vitest';
import { createDatabase } from 'weft/internal';
import { postgresAvailableForTests, postgresTestUrl } from 'weft/testing';
import { killedMidWork, runWorker, withPostgresSchema, withSqliteFile } from '../crash-worker.js';

const TOTAL = 1000;
const KILLS_PER_POINT = 5;
const POINTS = ['before-commit', 'after-commit', 'in-handler', 'after-handler-commit'] as const;

interface Tables {
  published: { n: number };
  effects: { n: number; event_id: string };
  weft_event_log: { seq: number; type: string };
}

/** Kills the worker at every point, KILLS_PER_POINT times each, then lets it finish, and checks the books. */
async function crashAndCheck(
  env: Record<string, string>,
  verifyUrl: () => Promise<{ url: string; schema?: string }>,
): Promise<void> {
  let kills = 0;
  let midWork = 0;
  // Kill points rise through the run (at most 820), so every run has events left to reach its point.
  const killAts = POINTS.flatMap((point, p) =>
    Array.from({ length: KILLS_PER_POINT }, (_, k) => ({
      point,
      at: 20 + p * 200 + k * 45 + Math.floor(Math.random() * 20),
    })),
  );
  for (const { point, at } of killAts) {
    const result = await runWorker('test/events/crash/worker.ts', { ...env, CRASH_AT: point, KILL_AT: String(at) });
    expect(result.signal, `worker at ${point}/${at} should have been killed:\n${result.out}`).toBe('SIGKILL');
    kills++;
    if (killedMidWork(result)) midWork++;
  }
  // Each kill point is reached with work going on: commits reported before it, the worker not done. (A report written
  // just before the kill may be lost with the process, so a few may show none.)
  expect(midWork).toBeGreaterThanOrEqual(kills - 5);
  const final = await runWorker('test/events/crash/worker.ts', env);
  expect(final.code, final.out).toBe(0);
  expect(kills).toBe(POINTS.length * KILLS_PER_POINT);

  const target = await verifyUrl();
  await using db = await createDatabase<Tables>(
    target.schema === undefined ? target.url : { url: target.url, postgres: { schema: target.schema } },
  );
  const published = await db.executor().selectFrom('published').select('n').orderBy('n').execute();
  expect(published.map((r) => r.n)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
  const effects = await db.executor().selectFrom('effects').select(['n', 'event_id']).orderBy('n').execute();
  // 0 lost, 0 duplicate effects: every committed event had its effect exactly once.
  expect(effects.map((r) => r.n)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
  expect(new Set(effects.map((r) => r.event_id)).size).toBe(TOTAL);
  // Nothing of a killed publishing transaction was stored.
  const logged = await db
    .executor()
    .selectFrom('weft_event_log')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  expect(Number(logged.count)).toBe(TOTAL);
}

const postgres = await postgresAvailableForTests();

describe('durable events survive SIGKILL at every point', () => {
  it(
    'on a SQLite file',
    () =>
      withSqliteFile((url) =>
        crashAndCheck({ CRASH_DB_URL: url, TOTAL: String(TOTAL) }, () => Promise.resolve({ url })),
      ),
    300_000,
  );

  it.runIf(postgres)(
    'on PostgreSQL',
    () =>
      withPostgresSchema((schema) =>
        crashAndCheck({ CRASH_DB_URL: postgresTestUrl(), CRASH_SCHEMA: schema, TOTAL: String(TOTAL) }, () =>
          Promise.resolve({ url: postgresTestUrl(), schema }),
        ),
      ),
    300_000,
  );
});
