// A game server in miniature for the state crash test: it runs TRANSACTIONS (default 50) multi-system transactions
// (economy: bank -1, spent +1; character: log +1; three durable state.changed events), reports each commit with a
// `commit <n>` line and prints `done` at the end; the test kills it with SIGKILL on a reported commit.
import { pino } from 'pino';
import { z } from 'zod';
import {
  EventBus,
  Migrator,
  StateStore,
  ValidationManager,
  createDatabase,
  eventMigrations,
  stateMigrations,
} from '../../../src/integration/internal.js';

const url = process.env.CRASH_DB_URL ?? '';
const schema = process.env.CRASH_SCHEMA;
const transactions = Number(process.env.TRANSACTIONS ?? 50);
const START = 1_000_000;

const db = await createDatabase(
  url.startsWith('sqlite:')
    ? { url, sqlite: { synchronous: 'FULL' } }
    : { url, postgres: { ...(schema === undefined ? {} : { schema }) } },
);
await new Migrator(db).register('events', eventMigrations).register('state', stateMigrations).up();
const validation = new ValidationManager();
const events = new EventBus({ db, validation, logger: pino({ level: 'silent' }) });
const state = new StateStore({ db, validation, events, logger: pino({ level: 'silent' }) });
state.registerStateSync('economy', { schema: z.object({ gold: z.int().min(0) }) });
state.registerStateSync('character', { schema: z.object({ count: z.int().min(0) }) });

if ((await state.get('economy', 'bank')) === undefined) {
  await state.transaction(async (tx) => {
    await tx.set('economy', 'bank', { gold: START });
    await tx.set('economy', 'spent', { gold: 0 });
    await tx.set('character', 'log', { count: 0 });
  });
}
process.stdout.write('ready\n');
for (let i = 1; i <= transactions; i++) {
  await state.transaction(async (tx) => {
    await tx.update<{ gold: number }>('economy', 'bank', (w) => ({ gold: (w?.gold ?? 0) - 1 }));
    await tx.update<{ gold: number }>('economy', 'spent', (w) => ({ gold: (w?.gold ?? 0) + 1 }));
    await tx.update<{ count: number }>('character', 'log', (c) => ({ count: (c?.count ?? 0) + 1 }));
  });
  process.stdout.write(`commit ${i}\n`);
}
await events.close();
await db.close();
process.stdout.write('done\n');
