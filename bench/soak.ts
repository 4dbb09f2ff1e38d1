// `npm run soak`: 1M volatile and 100k durable events through 10 subscriptions in one process.
// Passes when the heap after a forced GC ends within 10% of where it started and no queue is left
// holding events. Exits 1 otherwise. Takes a few minutes; not part of npm test.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

const VOLATILE = Number(process.env.SOAK_VOLATILE ?? 1_000_000);
const DURABLE = Number(process.env.SOAK_DURABLE ?? 100_000);
const SUBSCRIPTIONS = 10;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('Run with node --expose-gc (npm run soak does).');

const tick = defineEvent({
  type: 'world_state.tick',
  version: 1,
  owner: 'world_state',
  durable: false,
  schema: z.object({ n: z.int() }),
});
const crafted = defineEvent({
  type: 'crafting.item_crafted',
  version: 1,
  owner: 'crafting',
  durable: true,
  schema: z.object({ n: z.int() }),
});

const folder = await mkdtemp(join(tmpdir(), 'weft-soak-'));
const db = await createDatabase({ url: `sqlite:${join(folder, 'soak.db')}`, sqlite: { synchronous: 'NORMAL' } });
await new Migrator(db).register('events', eventMigrations).up();
const metrics = new WeftMetrics();
const bus = new EventBus({ db, validation: new ValidationManager(), metrics, logger: pino({ level: 'silent' }) })
  .define(tick)
  .define(crafted);
let volatileHandled = 0;
let durableHandled = 0;
for (let i = 0; i < SUBSCRIPTIONS; i++) {
  bus.subscribe('world_state.tick', () => {
    volatileHandled++;
  });
  bus.subscribe(
    'crafting.item_crafted',
    () => {
      durableHandled++;
    },
    { name: `durable-${i}` },
  );
}
await bus.ready();

const heap = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
// Warm up first, so what is measured is steady state, not first-use allocations.
for (let n = 0; n < 10_000; n++) await bus.publishAndWait('world_state.tick', { n }, { source: 'world_state' });
await db.transaction(async () => {
  for (let n = 0; n < 1_000; n++) await bus.publish('crafting.item_crafted', { n }, { source: 'crafting' });
});
await bus.drain();
const before = heap();
const started = Date.now();

for (let n = 0; n < VOLATILE; n++) {
  // Publish in bursts of 100 and wait for them, so the queues are exercised without the test itself holding a million
  // promises.
  if (n % 100 === 99) await bus.publishAndWait('world_state.tick', { n }, { source: 'world_state' });
  else void bus.publish('world_state.tick', { n }, { source: 'world_state' });
}
for (let n = 0; n < DURABLE; n += 1000) {
  await db.transaction(async () => {
    for (let i = n; i < Math.min(DURABLE, n + 1000); i++)
      await bus.publish('crafting.item_crafted', { n: i }, { source: 'crafting' });
  });
}
await bus.drain();
const after = heap();
const queueDepths =
  (await metrics.registry.getSingleMetric('weft_event_queue_depth')?.get())?.values.map((v) => v.value) ?? [];

const growth = (after - before) / before;
const report = {
  volatileEvents: VOLATILE,
  durableEvents: DURABLE,
  subscriptions: SUBSCRIPTIONS,
  handled: { volatile: volatileHandled, durable: durableHandled },
  seconds: (Date.now() - started) / 1000,
  heapBeforeMiB: +(before / 2 ** 20).toFixed(1),
  heapAfterMiB: +(after / 2 ** 20).toFixed(1),
  heapGrowth: `${(growth * 100).toFixed(1)} %`,
  largestQueueLeft: Math.max(0, ...queueDepths),
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
await bus.close();
await db.close();
await rm(folder, { recursive: true, force: true });
const ok = growth <= 0.1 && report.largestQueueLeft === 0 && durableHandled === (DURABLE + 1_000) * SUBSCRIPTIONS;
process.stdout.write(ok ? 'Soak passed.\n' : 'Soak FAILED.\n');
process.exitCode = ok ? 0 : 1;
