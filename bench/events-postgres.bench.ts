import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { pino } from 'pino';
import { z } from 'zod';
import {
  EventBus,
  Migrator,
  ValidationManager,
  WeftMetrics,
  createDatabase,
  defineEvent,
  eventMigrations,
} from '../src/integration/internal.js';
import type { BenchSuite } from './suite.js';

const crafted = defineEvent({
  type: 'crafting.item_crafted',
  version: 1,
  owner: 'crafting',
  durable: true,
  schema: z.object({ itemId: z.string(), count: z.int() }),
});

/**
 * Durable end to end on PostgreSQL: 100 events, each published in its own transaction, all handled
 * by one durable subscriber; against the same rows as raw autocommit inserts through pg. Also
 * reports the lag from each publishing commit to the start of its handler (p50, p99).
 */
export async function durableEndToEndPostgresSuite(url: string): Promise<BenchSuite> {
  const schema = `weft_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const db = await createDatabase({ url, postgres: { schema } });
  await new Migrator(db).register('events', eventMigrations).up();
  const bus = new EventBus({
    db,
    validation: new ValidationManager(),
    metrics: new WeftMetrics(),
    logger: pino({ level: 'silent' }),
  }).define(crafted);
  const committedAt = new Map<string, number>();
  const lags: number[] = [];
  let handled = 0;
  let waiting: (() => void) | undefined;
  bus.subscribe(
    'crafting.item_crafted',
    (e) => {
      const at = committedAt.get(e.id);
      if (at !== undefined) lags.push(performance.now() - at);
      committedAt.delete(e.id);
      handled++;
      waiting?.();
    },
    { name: 'counter' },
  );
  await bus.ready();
  // The peer writes the same event rows into a log table made by the same migration, in its own schema.
  const rawSchema = `${schema}_raw`;
  await admin.query(`create schema ${rawSchema}`);
  const rawSetup = await createDatabase({ url, postgres: { schema: rawSchema } });
  await new Migrator(rawSetup).register('events', eventMigrations).up();
  await rawSetup.close();
  const raw = new pg.Client({ connectionString: url, options: `-c search_path=${rawSchema}` });
  await raw.connect();
  let n = 0;
  return {
    name: 'durable end to end on PostgreSQL, one event per transaction',
    tasks: {
      'raw pg, the same 100 event rows as autocommit inserts': async () => {
        for (let i = 0; i < 100; i++) {
          await raw.query(
            'insert into weft_event_log (id, type, version, source, time, partition_key, correlation_id, causation_id, traceparent, data) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
            [
              `raw-${++n}`,
              'crafting.item_crafted',
              1,
              'crafting',
              new Date().toISOString(),
              null,
              'corr',
              null,
              null,
              JSON.stringify({ itemId: 'sword', count: n }),
            ],
          );
        }
      },
      'Weft, 100 events each in its own transaction, all handled by a durable subscriber': async () => {
        const target = handled + 100;
        const done = new Promise<void>((resolve) => (waiting = () => handled >= target && resolve()));
        for (let i = 0; i < 100; i++) {
          await db.transaction(async () => {
            const envelope = await bus.publish(
              'crafting.item_crafted',
              { itemId: 'sword', count: ++n },
              { source: 'crafting' },
            );
            db.afterCommit(() => committedAt.set(envelope.id, performance.now()));
          });
        }
        await done;
      },
    },
    ratios: [
      {
        label: 'Weft throughput / raw autocommit inserts (reported, no target)',
        task: 'raw pg, the same 100 event rows as autocommit inserts',
        baseline: 'Weft, 100 events each in its own transaction, all handled by a durable subscriber',
      },
    ],
    report() {
      const sorted = [...lags].sort((a, b) => a - b);
      const at = (q: number) =>
        (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN).toFixed(2);
      return `commit-to-handler lag over ${sorted.length} events: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`;
    },
    async close() {
      await bus.close();
      await db.close();
      await raw.end();
      await admin.query(`drop schema ${schema} cascade`);
      await admin.query(`drop schema ${rawSchema} cascade`);
      await admin.end();
    },
  };
}
