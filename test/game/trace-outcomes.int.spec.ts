import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent, readEventTrace, readStateTrace, runWithContext, type TracedEvent } from 'weft/internal';
import {
  createTestIntegration,
  postgresAvailableForTests,
  type TestIntegration,
  type TestIntegrationOptions,
} from 'weft/testing';

const crafted = defineEvent({
  type: 'forge.item_made',
  version: 1,
  owner: 'forge',
  durable: true,
  schema: z.object({ itemId: z.string(), round: z.int() }),
});

/** The trace reads under the route, on one backend: each outcome a durable subscription can have, and the tree. */
function outcomesContract(name: string, options: TestIntegrationOptions): void {
  describe(`readEventTrace and readStateTrace: ${name}`, () => {
    let weft: TestIntegration;
    afterEach(async () => {
      await weft.close();
    });

    it('says per subscription handled, dead-lettered, skipped or pending, and nests what handlers published', async () => {
      weft = await createTestIntegration({ pollIntervalMs: 20, ...options });
      const bus = weft.events.define(crafted);
      weft.state.registerStateSync('forge', { schema: z.object({ round: z.int() }) });
      // A handler that writes state and publishes the next round: its effects carry the event as their cause.
      bus.subscribe(
        'forge.item_made',
        async (event) => {
          await weft.transaction(async (tx) => {
            await tx.set('forge', `made:${event.data.itemId}:${event.data.round}`, { round: event.data.round });
            if (event.data.round < 3)
              await bus.publish(
                'forge.item_made',
                { itemId: event.data.itemId, round: event.data.round + 1 },
                { source: 'forge' },
              );
          });
        },
        { name: 'forge.next_round' },
      );
      bus.subscribe(
        'forge.item_made',
        () => {
          throw new Error('the broken handler fails every time');
        },
        { name: 'forge.broken', retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } },
      );
      bus.subscribe('forge.item_made', () => undefined, { name: 'forge.picky', filter: (e) => e.data.round === 2 });
      await bus.ready();
      await runWithContext({ correlationId: 'req-forge-1' }, () =>
        bus.publish('forge.item_made', { itemId: 'sword', round: 1 }, { source: 'forge' }),
      );
      await runWithContext({ correlationId: 'req-other' }, () =>
        bus.publish('forge.item_made', { itemId: 'axe', round: 3 }, { source: 'forge' }),
      );
      await bus.drain();

      // A consumer another process runs, which this one has never seen move: its events are pending.
      const subscriptionsOf = (type: string) => [...weft.events.durableSubscriptionsOf(type), 'elsewhere.consumer'];
      const trace = await readEventTrace(weft.db, 'req-forge-1', { subscriptionsOf });
      // Three rounds, and the state.changed each round's handler wrote (durable, so in the log too).
      expect(trace).toMatchObject({ count: 6, truncated: false });
      const chain: TracedEvent[] = [];
      for (let level = trace.events; level.length > 0;) {
        const round = level.find((e) => e.type === 'forge.item_made');
        if (round === undefined) break;
        chain.push(round);
        level = round.caused;
      }
      expect(chain.map((e) => (e.data as { round: number }).round)).toEqual([1, 2, 3]);
      expect(chain[0]?.causationId).toBeUndefined();
      expect(chain[1]?.causationId).toBe(chain[0]?.id);
      expect(chain[2]?.causationId).toBe(chain[1]?.id);
      for (const [index, round] of chain.entries()) {
        expect(round.caused.filter((e) => e.type === 'state.changed').map((e) => e.data)).toEqual([
          expect.objectContaining({ system: 'forge', key: `made:sword:${index + 1}` }),
        ]);
      }
      const outcomes = (event: TracedEvent | undefined) =>
        Object.fromEntries((event?.handlers ?? []).map((h) => [h.subscription, h.outcome]));
      expect(outcomes(chain[0])).toEqual({
        'forge.next_round': 'handled',
        'forge.broken': 'dead-lettered',
        'forge.picky': 'skipped',
        'elsewhere.consumer': 'pending',
      });
      expect(outcomes(chain[1])['forge.picky']).toBe('handled');

      // The state the handlers wrote, under the same correlation; another request's is not in it.
      const state = await readStateTrace(weft.db, 'req-forge-1');
      expect(state.changes.map((c) => `${c.system} ${c.key} v${c.version} ${c.kind}`)).toEqual([
        'forge made:sword:1 v1 set',
        'forge made:sword:2 v1 set',
        'forge made:sword:3 v1 set',
      ]);
      expect(state.changes[0]?.value).toEqual({ round: 1 });
      // Read by the transactions the state.changed events name (the route's way, by index): the same answer.
      const transactionIds = chain.flatMap((round) =>
        round.caused.flatMap((e) =>
          e.type === 'state.changed' ? [(e.data as { transactionId: string }).transactionId] : [],
        ),
      );
      expect(transactionIds).toHaveLength(3);
      expect(await readStateTrace(weft.db, 'req-forge-1', { transactionIds })).toEqual(state);
      expect((await readStateTrace(weft.db, 'req-other', { transactionIds })).changes).toEqual([]);

      // Bounded: past the limit, the oldest events and a flag.
      const cut = await readEventTrace(weft.db, 'req-forge-1', { limit: 2 });
      expect(cut).toMatchObject({ count: 2, truncated: true });
      expect(cut.events).toHaveLength(1);
      expect(cut.events[0]?.handlers).toEqual([]);
      expect(await readEventTrace(weft.db, 'no-such-request')).toEqual({ events: [], count: 0, truncated: false });
    });
  });
}

outcomesContract('SQLite file', { file: true });
describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  outcomesContract('PostgreSQL', { dialect: 'postgres' });
});
