import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  EventBus,
  Migrator,
  TimeoutError,
  UnavailableError,
  ValidationManager,
  WeftError,
  WeftMetrics,
  defineEvent,
  eventMigrations,
  isWeftError,
  uuidv7,
  type DatabaseOptions,
  type EventEnvelope,
  type EventTables,
  type WeftLogger,
} from 'weft/internal';
import type { TestDatabase } from 'weft/testing';

// Issue 11 (hardening) on every backend: handlers and transactions under a timeout, exact `system.*` prefixes, a
// bound on transactions waiting for the database, and dead-letter operations on 70,000 ids.

const itemCrafted = defineEvent({
  type: 'crafting.item_crafted',
  version: 1,
  owner: 'crafting',
  durable: true,
  schema: z.object({ itemId: z.string() }),
});
const worldTick = defineEvent({
  type: 'world_state.tick',
  version: 1,
  owner: 'world_state',
  durable: false,
  schema: z.object({ n: z.int() }),
});
/** Pairs of systems whose names differ only where `_` stands: a LIKE pattern would take both. */
const lookalikes = [
  defineEvent({ type: 'auth_user.login', version: 1, owner: 'auth_user', durable: true, schema: z.object({}) }),
  defineEvent({ type: 'authxuser.login', version: 1, owner: 'authxuser', durable: true, schema: z.object({}) }),
  defineEvent({ type: 'world_state.changed', version: 1, owner: 'world_state', durable: true, schema: z.object({}) }),
  defineEvent({ type: 'worldxstate.changed', version: 1, owner: 'worldxstate', durable: true, schema: z.object({}) }),
] as const;

type Effects = EventTables & { effects: { id: string; note: string } };

const quiet = { warn: () => undefined, error: () => undefined, info: () => undefined } as unknown as WeftLogger['root'];

/** A promise and its resolver: a step the test lets happen when it chooses (progress, not time). */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** The error `run` throws or rejects with (fails the test when it succeeds). */
async function rejectionOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** The hardening points of issue 11, the same on every database backend. */
export function hardeningContract(
  name: string,
  open: (options?: Omit<DatabaseOptions, 'url'>) => Promise<TestDatabase<unknown>>,
): void {
  describe(`hardening: ${name}`, () => {
    const cleanup: Array<{ close(): Promise<void> }> = [];

    afterEach(async () => {
      for (const item of cleanup.reverse()) await item.close();
      cleanup.length = 0;
    });

    const setUp = async (options?: Omit<DatabaseOptions, 'url'>) => {
      const db = await open(options);
      cleanup.push(db);
      await new Migrator(db).register('events', eventMigrations).up();
      await db
        .executor()
        .schema.createTable('effects')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('note', 'text')
        .execute();
      const bus = new EventBus({
        db,
        validation: new ValidationManager(),
        metrics: new WeftMetrics(),
        logger: quiet,
        retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
        pollIntervalMs: 20,
      })
        .define(itemCrafted)
        .define(worldTick);
      cleanup.push(bus);
      return { db, typed: db.withTables<Effects>(), bus };
    };

    it('abandons a durable handler past its timeoutMs: others write meanwhile, the event is dead-lettered, its late writes are refused, close completes', async () => {
      const { db, typed, bus } = await setUp();
      const hung = gate();
      const started: Array<() => void> = [];
      const attemptStarted = (n: number) => new Promise<void>((resolve) => (started[n] = resolve));
      const first = attemptStarted(1);
      let attempts = 0;
      const late: Promise<unknown>[] = [];
      const lateTried: Promise<void>[] = [];
      const forever = gate();
      bus.subscribe(
        'crafting.item_crafted',
        async (e) => {
          if (e.data.itemId === 'forever') {
            forever.open();
            return new Promise(() => undefined);
          }
          const attempt = ++attempts;
          const tried = gate();
          lateTried.push(tried.opened);
          await typed
            .executor()
            .insertInto('effects')
            .values({ id: `before-${attempt}`, note: e.data.itemId })
            .execute();
          started[attempt]?.();
          await hung.opened;
          // Past its timeout the handler's transaction is gone: each of these must be refused, not run outside it.
          late.push(
            rejectionOf(() =>
              typed
                .executor()
                .insertInto('effects')
                .values({ id: `late-${attempt}`, note: 'late' })
                .execute(),
            ),
            rejectionOf(() => bus.publish('crafting.item_crafted', { itemId: 'late' }, { source: 'crafting' })),
            rejectionOf(() => db.transaction(() => typed.executor().deleteFrom('effects').execute())),
          );
          tried.open();
        },
        { name: 'hung', timeoutMs: 200 },
      );
      await bus.ready();
      await bus.publish('crafting.item_crafted', { itemId: 'stuck' }, { source: 'crafting' });
      const delivered = bus.drain();
      await first;
      // While the handler hangs, a state write and a durable publish of someone else complete.
      await db.transaction(() => typed.executor().insertInto('effects').values({ id: 'other', note: 'x' }).execute());
      const other = await bus.publish('crafting.item_crafted', { itemId: 'other' }, { source: 'crafting' });
      await delivered;
      await bus.drain();
      expect(attempts).toBeGreaterThanOrEqual(3);
      const letters = await bus.deadLetters.list({ subscription: 'hung' });
      expect(letters.map((l) => [l.envelope.data, l.attempts])).toEqual([
        [{ itemId: 'stuck' }, 2],
        [{ itemId: 'other' }, 2],
      ]);
      expect(letters[1]?.eventId).toBe(other.id);
      expect(letters[0]?.error).toMatch(/TimeoutError.*timeoutMs \(200 ms\)/);
      // Only the write made outside the handlers stays: each attempt rolled back.
      expect(await typed.executor().selectFrom('effects').select('id').execute()).toEqual([{ id: 'other' }]);

      hung.open();
      await Promise.all(lateTried);
      const refusals = await Promise.all(late);
      expect(refusals).toHaveLength(attempts * 3);
      // Refused with the abandonment's code: the handler's timeout, or (a try that left its commit group while it hung,
      // and ran anew alone) the group's abandonment of that try.
      for (const refusal of refusals) {
        expect(refusal).toBeInstanceOf(WeftError);
        expect(refusal).toMatchObject({ code: 'WEFT_TIMEOUT' });
      }
      expect(await typed.executor().selectFrom('effects').select('id').execute()).toEqual([{ id: 'other' }]);

      // A handler that never returns holds up neither the bus's close nor the database's.
      await bus.publish('crafting.item_crafted', { itemId: 'forever' }, { source: 'crafting' });
      await forever.opened;
      await bus.close();
      await db.close({ timeoutMs: 5000 });
    });

    it('abandons a transaction past its timeoutMs: rolled back, the connection free, later use refused', async () => {
      const { db, typed } = await setUp();
      const hung = gate();
      const entered = gate();
      let lateUse: Promise<unknown> | undefined;
      const lateTried = gate();
      const timedOut = rejectionOf(() =>
        typed.transaction(
          async (tx) => {
            await tx.insertInto('effects').values({ id: 'inside', note: 'x' }).execute();
            entered.open();
            await hung.opened;
            lateUse = rejectionOf(() => tx.insertInto('effects').values({ id: 'late', note: 'x' }).execute());
            lateTried.open();
          },
          { timeoutMs: 200 },
        ),
      );
      await entered.opened;
      // On SQLite this waits for the one connection, which the timeout frees.
      await db.transaction(() => typed.executor().insertInto('effects').values({ id: 'other', note: 'x' }).execute());
      const error = await timedOut;
      expect(error).toBeInstanceOf(TimeoutError);
      expect(error).toMatchObject({ code: 'WEFT_TIMEOUT', status: 504 });
      hung.open();
      await lateTried.opened;
      expect(isWeftError(await lateUse, 'WEFT_TIMEOUT')).toBe(true);
      expect(await typed.executor().selectFrom('effects').select('id').execute()).toEqual([{ id: 'other' }]);
      // A transaction within its time commits as usual.
      await typed.transaction((tx) => tx.insertInto('effects').values({ id: 'quick', note: 'x' }).execute(), {
        timeoutMs: 60_000,
      });
      for (const timeoutMs of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
        await expect(db.transaction(() => undefined, { timeoutMs })).rejects.toBeInstanceOf(ConfigError);
      }
      expect(await typed.executor().selectFrom('effects').select('id').orderBy('id').execute()).toEqual([
        { id: 'other' },
        { id: 'quick' },
      ]);
    });

    it('rejects publishAndWait with the TimeoutError of a hung volatile handler, and the subscription goes on', async () => {
      const { bus } = await setUp();
      const handled: number[] = [];
      bus.subscribe(
        'world_state.tick',
        (e) => {
          if (e.data.n === 1) return new Promise(() => undefined);
          handled.push(e.data.n);
          return Promise.resolve();
        },
        { timeoutMs: 100 },
      );
      const error = await rejectionOf(() =>
        bus.publishAndWait('world_state.tick', { n: 1 }, { source: 'world_state' }),
      );
      expect(error).toBeInstanceOf(TimeoutError);
      // Its one worker was given back: the next event is handled.
      await bus.publishAndWait('world_state.tick', { n: 2 }, { source: 'world_state' });
      expect(handled).toEqual([2]);
      for (const timeoutMs of [0, 1.5, 2 ** 31, '100']) {
        expect(() => bus.subscribe('world_state.tick', () => undefined, { timeoutMs: timeoutMs as number })).toThrow(
          ConfigError,
        );
      }
    });

    it('rejects publishAndWait when one of several handlers hangs, and a run queued behind the hung one times out too', async () => {
      const { bus } = await setUp();
      const quick: number[] = [];
      const hung: number[] = [];
      bus.subscribe('world_state.tick', (e) => {
        quick.push(e.data.n);
        return Promise.resolve();
      });
      // One worker: the second event waits in the queue behind the first, which never ends.
      bus.subscribe(
        'world_state.tick',
        (e) => {
          hung.push(e.data.n);
          return new Promise(() => undefined);
        },
        { timeoutMs: 80, concurrency: 1 },
      );
      const started = performance.now();
      const [first, second] = await Promise.all([
        rejectionOf(() => bus.publishAndWait('world_state.tick', { n: 1 }, { source: 'world_state' })),
        rejectionOf(() => bus.publishAndWait('world_state.tick', { n: 2 }, { source: 'world_state' })),
      ]);
      expect(first).toBeInstanceOf(TimeoutError);
      expect(second).toBeInstanceOf(TimeoutError);
      expect((second as TimeoutError).message).toContain('on event');
      // The queued run started when the first gave its worker back, and had its own 80 ms from then.
      expect(performance.now() - started).toBeGreaterThanOrEqual(150);
      expect(quick).toEqual([1, 2]);
      expect(hung).toEqual([1, 2]);
    });

    it('takes a system.* subscription by its exact prefix: auth_user.* never gets authxuser events', async () => {
      const { bus } = await setUp();
      const [authUser, authxUser, worldState, worldxState] = lookalikes;
      const typed = bus.define(authUser).define(authxUser).define(worldState).define(worldxState);
      const seen: Record<string, string[]> = { auth: [], world: [] };
      typed.subscribe('auth_user.*', (e) => void seen.auth?.push(e.type), { name: 'auth-watch' });
      typed.subscribe('world_state.*', (e) => void seen.world?.push(e.type), { name: 'world-watch' });
      await typed.ready();
      await typed.publish('auth_user.login', {}, { source: 'auth_user' });
      await typed.publish('authxuser.login', {}, { source: 'authxuser' });
      await typed.publish('world_state.changed', {}, { source: 'world_state' });
      await typed.publish('worldxstate.changed', {}, { source: 'worldxstate' });
      await typed.drain();
      expect(seen).toEqual({ auth: ['auth_user.login'], world: ['world_state.changed'] });
      const replayed: string[] = [];
      expect(await typed.replay({ types: ['auth_user.*'], handler: (e) => void replayed.push(e.type) })).toBe(1);
      expect(replayed).toEqual(['auth_user.login']);
    });

    it('refuses transactions past maxWaitingTransactions with WEFT_OVERLOADED; the others commit', async () => {
      const bound = 50;
      const { db, bus } = await setUp({ maxWaitingTransactions: bound });
      const burst = Array.from({ length: 500 }, (_, n) =>
        bus.publish('crafting.item_crafted', { itemId: `i${n}` }, { source: 'crafting' }),
      );
      const outcomes = await Promise.allSettled(burst);
      const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(bound);
      expect(refused).toHaveLength(500 - bound);
      for (const reason of refused) {
        expect(reason).toBeInstanceOf(UnavailableError);
        expect(reason).toMatchObject({ code: 'WEFT_OVERLOADED', status: 503 });
      }
      const logged = await db
        .withTables<{ weft_event_log: { seq: number } }>()
        .executor()
        .selectFrom('weft_event_log')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(logged.n)).toBe(bound);
      // Once they are through, there is room again.
      await bus.publish('crafting.item_crafted', { itemId: 'after' }, { source: 'crafting' });
      for (const maxWaitingTransactions of [0, 1.5, -3]) {
        await expect(open({ maxWaitingTransactions })).rejects.toBeInstanceOf(ConfigError);
      }
    });

    it('discards and redrives 70,000 dead-letter ids in chunks, counting only those that exist', async () => {
      const { typed, bus } = await setUp();
      const redriven: string[] = [];
      bus.subscribe('crafting.item_crafted', (e) => void redriven.push(e.data.itemId), { name: 'inventory' });
      await bus.ready();
      const letters = Array.from({ length: 30 }, (_, n) => {
        const envelope: EventEnvelope = {
          id: uuidv7(),
          type: 'crafting.item_crafted',
          version: 1,
          source: 'crafting',
          time: new Date().toISOString(),
          partitionKey: undefined,
          correlationId: uuidv7(),
          causationId: undefined,
          traceparent: undefined,
          data: { itemId: `item-${n}` },
        };
        return {
          id: uuidv7(),
          subscription: 'inventory',
          event_id: envelope.id,
          event_seq: n + 1,
          type: envelope.type,
          envelope: JSON.stringify(envelope),
          error: 'failed',
          attempts: 3,
          correlation_id: envelope.correlationId,
          created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
        };
      });
      await typed.executor().insertInto('weft_dead_letters').values(letters).execute();
      const unknown = Array.from({ length: 70_000 }, () => uuidv7());
      const toDiscard = letters.slice(0, 15).map((l) => l.id);
      const toRedrive = letters.slice(15).map((l) => l.id);

      // The real ids sit among the unknown ones, past the first chunk.
      expect(await bus.deadLetters.discard([...unknown.slice(0, 40_000), ...toDiscard, ...unknown.slice(40_000)])).toBe(
        15,
      );
      expect((await bus.deadLetters.list({ limit: 100 })).map((l) => l.id)).toEqual(toRedrive);
      const done = await bus.deadLetters.redrive([...unknown.slice(0, 69_990), ...toRedrive, ...unknown.slice(69_990)]);
      expect(done.sort()).toEqual([...toRedrive].sort());
      expect(redriven.sort()).toEqual(letters.slice(15).map((_, n) => `item-${n + 15}`));
      expect(await bus.deadLetters.list()).toEqual([]);
      expect(await bus.deadLetters.discard(unknown)).toBe(0);
      expect(await bus.deadLetters.redrive(unknown)).toEqual([]);
    });
  });
}
