// One process of the distributed benchmark (bench/distributed.bench.ts), started by it with an IPC channel: Weft on
// the benchmark's PostgreSQL schema, with the NATS transport or the default one. It runs its share of the
// subscriptions, publishes the events the parent asks for in transactions, and reports when each committed and when
// each reached a handler (both on the machine's clock, which every process shares).
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import {
  NatsTransport,
  createIntegration,
  defineEvent,
  type EventBus,
  type Integration,
} from '../src/integration/internal.js';
import { workerSettings, type FromParent, type ToParent } from './distributed-protocol.js';

const settings = workerSettings(process.env);
/** Now on the shared clock, to the µs: commit times of one process are compared with handler times of another. */
const now = (): number => performance.timeOrigin + performance.now();
const send = (message: ToParent): void => void process.send?.(message);

/** The benchmark's event types: `bench.tick_0` to `bench.tick_<subscriptions - 1>`, one payload for all. */
type TickType = `bench.tick_${number}`;
interface Tick {
  readonly n: number;
  readonly pad: string;
}

const tick = (index: number) =>
  defineEvent({
    type: `bench.tick_${index}`,
    version: 1,
    owner: 'bench',
    durable: true,
    schema: z.object({ n: z.int(), pad: z.string() }),
    partitionKey: (data) => `p${data.n % settings.partitions}`,
  });
const definitions = Array.from({ length: settings.subscriptions }, (_, index) => tick(index));

const nats = settings.nats;
const weft: Integration = await createIntegration({
  database: { url: settings.postgresUrl, postgres: { schema: settings.schema } },
  monitoring: { logger: { level: 'silent' }, processMetrics: false },
  // The default transport sees other processes' commits on its poll; the benchmark says which interval it ran with.
  pollIntervalMs: settings.pollIntervalMs,
  ...(nats === undefined
    ? {}
    : { transport: ({ db, monitoring }) => NatsTransport.connect({ ...nats, db, metrics: monitoring.metrics }) }),
});
for (const definition of definitions) weft.events.define(definition);
// Every tick type carries the same payload: one map type covers all of them.
const bus = weft.events as unknown as EventBus<Record<TickType, Tick>>;

// Pairs (n, time) in flat arrays: tens of thousands of them cross the IPC channel at the end of a round.
let committed: number[] = [];
let handled: number[] = [];
let handledCount = 0;
// This process runs every third subscription (its index first): with leases one process delivers a subscription at
// a time, so this spreads the deliveries over the three.
for (let index = settings.index; index < settings.subscriptions; index += settings.processes) {
  bus.subscribe(
    `bench.tick_${index}`,
    (event) => {
      handled.push(event.data.n, now());
      handledCount++;
    },
    { name: `bench_${index}` },
  );
}
await bus.ready();

/** Publishes events `from` to `from + count - 1`, `perTransaction` a transaction, `inFlight` transactions at once. */
async function publish(from: number, count: number): Promise<void> {
  const pad = 'x'.repeat(settings.padBytes);
  let next = from;
  const end = from + count;
  const publisher = async (): Promise<void> => {
    while (next < end) {
      const first = next;
      const last = Math.min(end, first + settings.perTransaction);
      next = last;
      await weft.db.transaction(async () => {
        for (let n = first; n < last; n++) {
          await bus.publish(
            `bench.tick_${n % settings.subscriptions}` as 'bench.tick_0',
            { n, pad },
            { source: 'bench' },
          );
        }
      });
      const at = now();
      for (let n = first; n < last; n++) committed.push(n, at);
    }
  };
  await Promise.all(Array.from({ length: settings.inFlight }, publisher));
}

// The parent follows the handled count to know when a round is over.
const progress = setInterval(() => send({ kind: 'handled', count: handledCount }), 50);
process.on('message', (message: FromParent) => {
  if (message.kind === 'publish') {
    publish(message.from, message.count).then(
      () => send({ kind: 'published' }),
      (error: unknown) => send({ kind: 'failed', error: String(error) }),
    );
  } else if (message.kind === 'collect') {
    send({ kind: 'figures', committed, handled });
    committed = [];
    handled = [];
  } else {
    clearInterval(progress);
    weft.close().then(
      () => process.disconnect(),
      (error: unknown) => send({ kind: 'failed', error: String(error) }),
    );
  }
});
send({ kind: 'ready' });
