import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  Alerting,
  EventBus,
  EventLog,
  Migrator,
  ValidationManager,
  WeftMetrics,
  builtinRules,
  defineEvent,
  eventMigrations,
  uuidv7,
  type EventEnvelope,
  type WeftLogger,
} from 'weft/internal';
import { createTestDatabase, postgresAvailableForTests, type TestDatabase } from 'weft/testing';
import { lags } from '../monitoring/lag-readings.js';

const walletCreated = defineEvent({
  type: 'economy.wallet_created',
  version: 1,
  owner: 'economy',
  durable: true,
  schema: z.object({ playerId: z.string() }),
});

const quiet = { warn: () => undefined, error: () => undefined, info: () => undefined } as unknown as WeftLogger['root'];

/** Short, so the test does not wait a second for "caught up"; the behaviour is the default hold's. */
const HOLD_MS = 100;

/** A wallet event as the process that died wrote it, `ageMs` ago: straight to the log, with no wake-up here. */
function oldEnvelope(ageMs: number): EventEnvelope {
  return {
    id: uuidv7(),
    type: 'economy.wallet_created',
    version: 1,
    source: 'economy',
    time: new Date(Date.now() - ageMs).toISOString(),
    partitionKey: undefined,
    correlationId: uuidv7(),
    causationId: undefined,
    traceparent: undefined,
    data: { playerId: 'ann' },
  };
}

/** A gate a handler waits at until the test opens it. */
function gate() {
  let open: () => void = () => undefined;
  let entered: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const reached = new Promise<void>((resolve) => (entered = resolve));
  return { open, opened, reached, entered };
}

function lagTest(name: string, open: () => Promise<TestDatabase<unknown>>): void {
  describe(`delivery lag: ${name}`, () => {
    let db: TestDatabase<unknown>;
    let bus: EventBus | undefined;

    beforeEach(async () => {
      db = await open();
      await new Migrator(db).register('events', eventMigrations).up();
    });

    afterEach(async () => {
      await bus?.close();
      bus = undefined;
      await db.close();
    });

    /** A bus with two subscriptions to wallet creations: `economy.on_created` runs `handler`, the other nothing. */
    async function subscribed(metrics: WeftMetrics, handler: (e: EventEnvelope) => Promise<void>) {
      const events = new EventBus({
        db,
        validation: new ValidationManager(),
        metrics,
        logger: quiet,
        pollIntervalMs: 20,
      });
      bus = events;
      const typed = events.define(walletCreated);
      typed.subscribe('economy.wallet_created', handler, { name: 'economy.on_created' });
      typed.subscribe('economy.wallet_created', () => undefined, { name: 'quest.on_wallet' });
      await typed.ready();
      return typed;
    }

    it('reports the lag while a late event is in hand, and 0 once the subscription caught up, with nothing more', async () => {
      const metrics = new WeftMetrics({ deliveryLag: { holdMs: HOLD_MS } });
      let stuck: ReturnType<typeof gate> | undefined;
      const handled: string[] = [];
      const typed = await subscribed(metrics, async (e) => {
        const waiting = stuck;
        if (waiting !== undefined) {
          waiting.entered();
          await waiting.opened;
        }
        handled.push(e.id);
      });
      expect(await lags(metrics)).toEqual({ 'economy.on_created': 0, 'quest.on_wallet': 0 });

      // The takeover: an event that waited 48 681 ms for the lease of a process killed with SIGKILL.
      stuck = gate();
      const late = oldEnvelope(48_681);
      await db.transaction(() => new EventLog(db).append(late));
      await stuck.reached;
      const during = await lags(metrics);
      expect(during['economy.on_created']).toBeGreaterThanOrEqual(48_681);
      expect(during['economy.on_created']).toBeLessThan(60_000);
      await sleep(30);
      // In hand, it waits on: the lag grows rather than staying at its value when the handler started.
      expect((await lags(metrics))['economy.on_created']).toBeGreaterThanOrEqual(
        (during['economy.on_created'] ?? 0) + 25,
      );

      stuck.open();
      stuck = undefined;
      await typed.drain();
      expect(handled).toEqual([late.id]);
      await sleep(HOLD_MS + 20);
      expect(await lags(metrics)).toEqual({ 'economy.on_created': 0, 'quest.on_wallet': 0 });
      const backlog = await typed.backlog({ types: ['economy.wallet_created'] });
      expect(backlog.subscriptions.map((s) => s.undelivered)).toEqual([0, 0]);

      // One more event, delivered at once; then an idle period: the gauge stays at 0 for good.
      await typed.publish('economy.wallet_created', { playerId: 'bob' }, { source: 'economy' });
      await typed.drain();
      await sleep(HOLD_MS + 20);
      expect(await lags(metrics)).toEqual({ 'economy.on_created': 0, 'quest.on_wallet': 0 });
      await sleep(200);
      expect(await lags(metrics)).toEqual({ 'economy.on_created': 0, 'quest.on_wallet': 0 });
    });

    it('lets the built-in rule fire while a subscription is behind, and resolve once it caught up', async () => {
      const metrics = new WeftMetrics({ deliveryLag: { holdMs: HOLD_MS } });
      let clock = Date.now();
      const alerting = new Alerting({ metrics, logger: quiet, clock: { now: () => clock } });
      for (const rule of builtinRules()) if (rule.name === 'weft.event_delivery_lag') alerting.addRule(rule);
      const evaluate = async (advanceMs: number) => {
        clock += advanceMs;
        await alerting.evaluate();
        return alerting.list()[0];
      };
      const stuck = gate();
      const typed = await subscribed(metrics, async () => {
        stuck.entered();
        await stuck.opened;
      });

      await db.transaction(() => new EventLog(db).append(oldEnvelope(48_681)));
      await stuck.reached;
      expect(await evaluate(15_000)).toMatchObject({ state: 'pending' });
      expect((await evaluate(60_000))?.state).toBe('firing');

      stuck.open();
      await typed.drain();
      await sleep(HOLD_MS + 20);
      expect(await evaluate(15_000)).toMatchObject({ state: 'firing', lastValue: 0 });
      expect(await evaluate(60_000)).toMatchObject({ state: 'resolved', lastValue: 0 });
      expect(alerting.list()[0]?.history.map((t) => `${t.from}->${t.to}`)).toEqual([
        'inactive->pending',
        'pending->firing',
        'firing->resolved',
      ]);
    });
  });
}

lagTest('SQLite file', () => createTestDatabase({ file: true }));
describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  lagTest('PostgreSQL', () => createTestDatabase({ dialect: 'postgres' }));
});
