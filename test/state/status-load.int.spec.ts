import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { sql, type Generated } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  EventBus,
  MonitoringManager,
  Migrator,
  StateStore,
  ValidationManager,
  eventMigrations,
  stateMigrations,
  type StateTables,
  type SyncStatus,
} from 'weft/internal';
import { createTestDatabase, postgresAvailableForTests, type TestDatabase } from 'weft/testing';
import { buildApp } from '../../src/server/index.js';

/** The rows the status reads, as the test writes them (straight into the tables, many rows a statement). */
interface Tables extends StateTables {
  weft_event_log: {
    seq: Generated<number>;
    id: string;
    type: string;
    version: number;
    source: string;
    time: string;
    partition_key: string | null;
    correlation_id: string;
    data: string;
  };
  weft_dead_letters: {
    id: string;
    subscription: string;
    event_id: string;
    event_seq: number;
    type: string;
    envelope: string;
    error: string;
    attempts: number;
    correlation_id: string;
    created_at: string;
  };
}

const SLICES = { 'economy.wallets': 100_000, 'character.bags': 60_000, quest: 40_000 };
const ENTRIES = 200_000;
const DEAD_LETTERS = 2_000;
/** Rows a statement: 6 columns x 4,000 = 24,000 values, under SQLite's 32,766 and PostgreSQL's 65,535. */
const BATCH = 2_000;

/**
 * 200,000 entries over three slices, each with its current version in the history as the store keeps it, and 2,000
 * dead letters of 20 KB each, in one transaction.
 */
async function fill(db: TestDatabase<unknown>): Promise<void> {
  const tables = db.withTables<Tables>();
  const value = JSON.stringify({ gold: 12_345, items: ['sword', 'shield', 'potion'], note: 'x'.repeat(60) });
  const envelope = JSON.stringify({ data: { blob: 'y'.repeat(20_000) } });
  await tables.transaction(async () => {
    const executor = tables.executor();
    let n = 0;
    for (const [slice, count] of Object.entries(SLICES)) {
      for (let start = 0; start < count; start += BATCH) {
        const rows = Array.from({ length: Math.min(BATCH, count - start) }, (_, i) => ({
          system: slice,
          key: `player_${String(start + i).padStart(6, '0')}`,
          value,
          version: 1 + ((start + i) % 7),
          // Distinct times, the newest last: the latest change of each slice is its last row.
          updated_at: new Date(Date.UTC(2026, 0, 1) + n++ * 10).toISOString(),
          updated_by: null,
        }));
        await executor.insertInto('weft_state_entries').values(rows).execute();
        await executor
          .insertInto('weft_state_history')
          .values(
            rows.map((row) => ({
              system: row.system,
              key: row.key,
              version: row.version,
              value: row.value,
              patch: '[]',
              kind: 'set',
              transaction_id: `t-${row.key}`,
              correlation_id: null,
              changed_at: row.updated_at,
              changed_by: null,
            })),
          )
          .execute();
      }
    }
    const events = Array.from({ length: DEAD_LETTERS }, (_, i) => ({
      id: `event-${i}`,
      type: 'state.changed',
      version: 1,
      source: 'state',
      time: new Date(Date.UTC(2026, 0, 2)).toISOString(),
      partition_key: `economy.wallets:player_${String(i).padStart(6, '0')}`,
      correlation_id: `c-${i}`,
      data: '{}',
    }));
    for (let start = 0; start < events.length; start += 500)
      await executor
        .insertInto('weft_event_log')
        .values(events.slice(start, start + 500))
        .execute();
    const logged = await executor.selectFrom('weft_event_log').select(['seq', 'id']).execute();
    const letters = logged.map((row, i) => ({
      id: `dead-${i}`,
      subscription: 'quest-tracker',
      event_id: row.id,
      event_seq: row.seq,
      type: 'state.changed',
      envelope,
      error: 'handler failed',
      attempts: 5,
      correlation_id: `c-${i}`,
      created_at: new Date(Date.UTC(2026, 0, 3)).toISOString(),
    }));
    for (let start = 0; start < letters.length; start += 200)
      await executor
        .insertInto('weft_dead_letters')
        .values(letters.slice(start, start + 200))
        .execute();
  });
  // Planner statistics, as a database this size has: PostgreSQL's autovacuum gathers them soon after such a load
  // (without them it sorts each page of keys instead of reading the index in order).
  await sql`analyze`.execute(tables.executor());
}

const backends: Array<[string, () => Promise<TestDatabase<unknown>>]> = [
  ['SQLite file', () => createTestDatabase({ file: true })],
];
if (await postgresAvailableForTests()) backends.push(['PostgreSQL', () => createTestDatabase({ dialect: 'postgres' })]);

describe.each(backends)('GET /status on a large database, %s', (_name, open) => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const close of cleanup.splice(0).reverse()) await close();
  });

  it('answers 8 concurrent calls while /health/live answers within 50 ms', async () => {
    const db = await open();
    cleanup.push(() => db.close());
    await new Migrator(db).register('events', eventMigrations).register('state', stateMigrations).up();
    await fill(db);
    // Collect the fill's garbage (40 MB of envelopes) now, so no pause of the test's own making lands among the probes.
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
    const validation = new ValidationManager();
    const events = new EventBus({ db, validation });
    cleanup.push(() => events.close());
    const state = new StateStore({ db, validation, events });
    for (const slice of Object.keys(SLICES)) state.registerStateSync(slice, { schema: z.unknown() });
    const monitoring = new MonitoringManager({ processMetrics: false, logger: { level: 'silent' } });
    const app = buildApp({ monitoring, state });
    cleanup.push(() => app.close());
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    await (await fetch(`${base}/health/live`)).text();

    // A round: 8 concurrent GET /status (the report is cached for a second, so each round waits that long first),
    // /health/live probed every 5 ms meanwhile. On a shared machine the process can lose the CPU for longer than
    // 50 ms whatever it runs: up to three rounds, and one must keep every probe under 50 ms. A status that blocks
    // the event loop fails all three.
    const rounds: Array<{ statusMs: number; slowest: number; probes: number }> = [];
    for (let round = 0; round < 3; round++) {
      await sleep(1_100);
      let statusDone = false;
      const probes: number[] = [];
      const probing = (async () => {
        while (!statusDone) {
          const started = performance.now();
          await (await fetch(`${base}/health/live`)).text();
          probes.push(performance.now() - started);
          await sleep(5);
        }
      })();
      const started = performance.now();
      const answers = await Promise.all(
        Array.from({ length: 8 }, async () => {
          const response = await fetch(`${base}/status`);
          expect(response.status).toBe(200);
          return (await response.json()) as SyncStatus;
        }),
      );
      const statusMs = performance.now() - started;
      statusDone = true;
      await probing;
      for (const answer of answers) {
        expect(answer.health).toBe('degraded');
        expect(answer.systems.reduce((sum, row) => sum + row.entries, 0)).toBe(ENTRIES);
        expect(answer.systems.find((row) => row.slice === 'economy.wallets')).toMatchObject({
          entries: 100_000,
          deadLetters: DEAD_LETTERS,
          lastChangeAt: new Date(Date.UTC(2026, 0, 1) + (100_000 - 1) * 10).toISOString(),
          lastVersion: 1 + (99_999 % 7),
        });
      }
      rounds.push({ statusMs, slowest: Math.max(...probes), probes: probes.length });
      if (rounds.at(-1)!.slowest < 50) break;
    }
    // The figures go with the assertion, for whoever reads it when it fails on a slow machine.
    const figures = rounds
      .map(
        (r) =>
          `status x8: ${r.statusMs.toFixed(0)} ms; /health/live: ${r.probes} probes, slowest ${r.slowest.toFixed(1)} ms`,
      )
      .join('; ');
    expect(Math.min(...rounds.map((r) => r.slowest)), figures).toBeLessThan(50);
  }, 120_000);
});
