// A game server in miniature, for the crash tests: it publishes TOTAL durable events (each in a
// transaction with a state write) and handles them with a durable subscription that writes an
// effect. With CRASH_AT it kills itself with SIGKILL at that point, at event KILL_AT: on its progress, never on a time.
// It reports each commit (`commit published <n>`, `commit handled <n>`) and prints `done` at the end.
import { pino } from 'pino';
import { z } from 'zod';
import {
  EventBus,
  Migrator,
  ValidationManager,
  createDatabase,
  defineEvent,
  eventMigrations,
} from '../../../src/integration/internal.js';

interface Tables {
  published: { n: number };
  effects: { n: number; event_id: string };
}

const url = process.env.CRASH_DB_URL ?? '';
const schema = process.env.CRASH_SCHEMA;
const total = Number(process.env.TOTAL ?? 1000);
const crashAt = process.env.CRASH_AT;
const killAt = Number(process.env.KILL_AT ?? 0);

const die = (): never => {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
};

const numbered = defineEvent({
  type: 'crafting.item_crafted',
  version: 1,
  owner: 'crafting',
  durable: true,
  schema: z.object({ n: z.int() }),
});

const db = (
  await createDatabase<Tables>(
    url.startsWith('sqlite:')
      ? { url, sqlite: { synchronous: 'NORMAL' } }
      : { url, postgres: { ...(schema === undefined ? {} : { schema }) } },
  )
).withTables<Tables>();
await new Migrator(db)
  .register('events', eventMigrations)
  .register('crash_test', [
    {
      name: '001_tables',
      up: async (m) => {
        await m.schema
          .createTable('published')
          .addColumn('n', 'integer', (c) => c.primaryKey())
          .execute();
        await m.schema
          .createTable('effects')
          .addColumn('n', 'integer', (c) => c.notNull())
          .addColumn('event_id', 'text', (c) => c.notNull())
          .execute();
      },
    },
  ])
  .up();

const bus = new EventBus({
  db,
  validation: new ValidationManager(),
  logger: pino({ level: 'silent' }),
  pollIntervalMs: 50,
  // The killed run's lease on the subscription must run out before this run may deliver it.
  leaseMs: 300,
  retry: { maxAttempts: 1000, baseDelayMs: 1, maxDelayMs: 10 },
}).define(numbered);
bus.subscribe(
  'crafting.item_crafted',
  async (e) => {
    await db.executor().insertInto('effects').values({ n: e.data.n, event_id: e.id }).execute();
    db.afterCommit(() => process.stdout.write(`commit handled ${e.data.n}\n`));
    // At the first event handled from KILL_AT on: a run may find KILL_AT handled already, since an
    // earlier run can have handled events past its own kill point in the same batch transaction.
    if (e.data.n >= killAt && crashAt === 'in-handler') die();
    // Runs once the delivery's transaction (effects, inbox rows, cursor) has committed.
    if (e.data.n >= killAt && crashAt === 'after-handler-commit') db.afterCommit(die);
  },
  { name: 'effects', startFrom: 'beginning' },
);
await bus.ready();

const last = await db
  .executor()
  .selectFrom('published')
  .select((eb) => eb.fn.max('n').as('n'))
  .executeTakeFirst();
for (let n = Number(last?.n ?? 0) + 1; n <= total; n++) {
  await db.transaction(async () => {
    await db.executor().insertInto('published').values({ n }).execute();
    // Registered before publish, so it runs before the bus is woken: committed, not yet delivered.
    if (n === killAt && crashAt === 'after-commit') db.afterCommit(die);
    await bus.publish('crafting.item_crafted', { n }, { source: 'crafting' });
    if (n === killAt && crashAt === 'before-commit') die();
  });
  process.stdout.write(`commit published ${n}\n`);
}
const countEffects = async (): Promise<number> => {
  const row = await db
    .executor()
    .selectFrom('effects')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
};
// Until every event is handled (or a minute passed): this run delivers once the killed run's lease ran out.
let effects = 0;
for (const until = Date.now() + 60_000; Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 20))) {
  await bus.drain();
  effects = await countEffects();
  if (effects >= total) break;
}
process.stdout.write(`${JSON.stringify({ effects })}\n`);
await bus.close();
await db.close();
process.stdout.write('done\n');
