// One Weft process of the chaos tests: the NATS transport on a PostgreSQL schema shared with the other workers. It
// publishes its share of ledger entries (CHAOS_PUBLISH, paced at CHAOS_RATE a second, each batch in one transaction
// with a row per entry so a retry after an unknown commit never publishes twice), and handles every entry with one
// durable subscription (concurrency 4, lanes by account) whose handler writes an effect row. It reports on stdout:
// `ready`, `health <url>` (its /health/ready), `call <event id>` at each handler call, `commit <event id>` once a
// handled event committed, `published <count>` after each batch, `published-all`, and `redriven <count>`.
// With CHAOS_FAIL_EVERY=k every k-th handler call throws, and so does every later call for that event (it dead-letters
// after its retries); with CHAOS_REDRIVE=1 it re-drives every dead letter once ready. SIGTERM stops it cleanly.
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { z } from 'zod';
import {
  EventBus,
  Migrator,
  MonitoringManager,
  NatsTransport,
  ValidationManager,
  createDatabase,
  defineEvent,
  eventMigrations,
} from '../../src/integration/internal.js';
import { buildApp } from '../../src/server/index.js';
import { chaosMigrations, type ChaosTables } from './chaos-tables.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`the chaos worker needs ${name}`);
  return value;
};

const processIndex = Number(env('CHAOS_PROCESS'));
const toPublish = Number(process.env.CHAOS_PUBLISH ?? 0);
const rate = Number(process.env.CHAOS_RATE ?? 0);
const keys = Number(process.env.CHAOS_KEYS ?? 20);
const failEvery = Number(process.env.CHAOS_FAIL_EVERY ?? 0);
const BATCH = 20;

const entryPosted = defineEvent({
  type: 'ledger.entry_posted',
  version: 1,
  owner: 'ledger',
  durable: true,
  schema: z.object({ account: z.string(), n: z.int() }),
  partitionKey: (data) => data.account,
});

// Warnings and errors (lost connections, failed rounds) go to stderr, which the test keeps for its failure messages.
const logger = pino(
  { level: process.env.CHAOS_LOG_LEVEL ?? 'warn', base: { process: processIndex } },
  pino.destination(2),
);
const monitoring = new MonitoringManager({ logger: { level: 'silent' }, processMetrics: false });
const db = (
  await createDatabase<ChaosTables>({
    url: env('CHAOS_DB_URL'),
    postgres: { schema: env('CHAOS_SCHEMA'), pool: { connectTimeoutMs: 2000 } },
  })
).withTables<ChaosTables>();
await new Migrator(db).register('events', eventMigrations).register('chaos', chaosMigrations).up();

const transport = await NatsTransport.connect({
  url: env('CHAOS_NATS_URL'),
  db,
  stream: env('CHAOS_STREAM'),
  subjectPrefix: env('CHAOS_PREFIX'),
  logger,
});
// Failing handlers retry quickly, so a few hundred dead letters do not hold their lanes for minutes.
const retry = failEvery > 0 ? { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50 } : {};
const bus = new EventBus({ db, validation: new ValidationManager(), logger, transport, retry }).define(entryPosted);

let calls = 0;
const failing = new Set<string>();
bus.subscribe(
  'ledger.entry_posted',
  async (e) => {
    calls++;
    process.stdout.write(`call ${e.id}\n`);
    if (failEvery > 0 && calls % failEvery === 0) failing.add(e.id);
    if (failing.has(e.id)) throw new Error(`handler call ${calls} fails (every ${failEvery}th, then its retries)`);
    await db
      .executor()
      .insertInto('chaos_effects')
      .values({ event_id: e.id, account: e.data.account, n: e.data.n })
      .execute();
    db.afterCommit(() => process.stdout.write(`commit ${e.id}\n`));
  },
  { name: 'books', concurrency: 4, startFrom: 'beginning' },
);
await bus.ready();

monitoring.health.register({ name: 'database', target: 'chaos', check: () => db.ping() });
monitoring.health.register({ name: 'nats', target: transport.url, check: () => transport.ping() });
const app = buildApp({ monitoring });
process.stdout.write(`health ${await app.listen({ port: 0, host: '127.0.0.1' })}/health/ready\n`);
process.stdout.write('ready\n');

let stopping = false;
process.once('SIGTERM', () => {
  stopping = true;
  void stop();
});

async function stop(): Promise<void> {
  await publishing;
  await app.close();
  await bus.close();
  await transport.close();
  await db.close();
  process.exit(0);
}

/** Publishes this process's entries: account `p<process>-<k>`, n counting up per account in publish order. */
async function publish(): Promise<void> {
  const started = Date.now();
  for (let from = 0; from < toPublish && !stopping; from += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, toPublish - from) }, (_, i) => {
      const index = from + i;
      return { account: `p${processIndex}-${index % keys}`, n: Math.floor(index / keys) + 1 };
    });
    if (rate > 0) await sleep(Math.max(0, started + (from / rate) * 1000 - Date.now()));
    await publishOnce(batch);
    process.stdout.write(`published ${from + batch.length}\n`);
  }
  process.stdout.write('published-all\n');
}

/** One batch in one transaction, tried until it committed; a batch whose rows are there committed already. */
async function publishOnce(batch: ReadonlyArray<{ account: string; n: number }>): Promise<void> {
  const first = batch[0];
  if (first === undefined) return;
  for (;;) {
    try {
      await db.transaction(async () => {
        await db.executor().insertInto('chaos_published').values(batch).execute();
        for (const entry of batch) await bus.publish('ledger.entry_posted', entry, { source: 'ledger' });
      });
      return;
    } catch (error) {
      logger.warn({ err: error }, 'publishing a batch failed; trying again');
      await sleep(200);
      try {
        const there = await db
          .executor()
          .selectFrom('chaos_published')
          .select('n')
          .where('account', '=', first.account)
          .where('n', '=', first.n)
          .executeTakeFirst();
        if (there !== undefined) return;
      } catch (checkError) {
        logger.warn({ err: checkError }, 'could not check whether the batch committed; trying again');
      }
    }
  }
}

const publishing = publish();

if (process.env.CHAOS_REDRIVE === '1') {
  // Until a pass re-drives nothing: a letter that fails again stays, with its new error, for the test to see.
  let redriven = 0;
  for (let pass = -1; pass !== 0;) {
    const letters = await bus.deadLetters.list({ limit: 1000 });
    pass = letters.length === 0 ? 0 : (await bus.deadLetters.redrive(letters.map((letter) => letter.id))).length;
    redriven += pass;
  }
  process.stdout.write(`redriven ${redriven}\n`);
}
