import { afterEach, describe, expect, it } from 'vitest';
import type { TestIntegration, TestIntegrationOptions } from 'weft/testing';
import { z } from 'zod';
import { ann, bob, questWorld } from './quest-world.js';

const HOUR = 3_600_000;

/** The analytics system on one database backend. */
export function analyticsContract(name: string, options: TestIntegrationOptions): void {
  describe(`analytics: ${name}`, () => {
    let weft: TestIntegration;
    afterEach(async () => {
      await weft.close();
    });

    /** The clock analytics reads: real time moved by `shift`. */
    let shift = 0;
    const now = () => Date.now() + shift;

    /** The game with analytics, two characters and a test system publishing `feed.ping`. */
    async function world(retentionHours?: number) {
      shift = 0;
      weft = await questWorld(options, {
        now,
        batch: { maxSize: 7, maxWaitMs: 10 },
        ...(retentionHours === undefined ? {} : { retentionHours }),
      });
      const feed = weft.system('feed');
      const ping = feed.events.define({
        name: 'ping',
        durable: true,
        schema: z.strictObject({ characterId: z.string().optional() }),
      });
      const a = await weft.execute('character.create', { name: 'Ann', class: 'warrior' }, { actor: ann });
      const b = await weft.execute('character.create', { name: 'Bob', class: 'alchemist' }, { actor: bob });
      await weft.events.drain();
      return {
        a,
        b,
        ping: (characterId?: string) => feed.events.publish(ping, characterId === undefined ? {} : { characterId }),
      };
    }

    it('counts a known series of events per type and system, the characters they name, and gold by source and sink', async () => {
      const { a, b, ping } = await world();
      // 25 pings, more than three batches' worth: five name a character nobody created, three name Ann, the rest none.
      for (let i = 0; i < 25; i++) await ping(i < 5 ? `ghost-${i}` : i < 8 ? a.id : undefined);
      await weft.execute('economy.buy', { characterId: b.id, itemId: 'iron_ore', quantity: 4 }, { actor: bob });
      await weft.execute('economy.sell', { characterId: b.id, itemId: 'iron_ore', quantity: 4 }, { actor: bob });
      await weft.events.drain();

      const summary = await weft.execute('analytics.summary', { hours: 3 });
      expect(summary.hours).toHaveLength(3);
      // [from, to): to is the end of the current hour, as the economy's history answers it.
      expect(summary.to).toBe(new Date((Math.floor(now() / HOUR) + 1) * HOUR).toISOString());
      expect(summary.from).toBe(new Date((Math.floor(now() / HOUR) - 2) * HOUR).toISOString());
      expect(summary.totals.byType).toMatchObject({
        'feed.ping': 25,
        'character.created': 2,
        // Two wallets opened with starting gold, a purchase, a sale.
        'economy.gold_moved': 4,
        'character.items_changed': 2,
      });
      expect(summary.totals.bySystem).toMatchObject({ feed: 25, character: 4, economy: 4 });
      // Every event the log holds was counted once, state changes included.
      const logged = await weft.events.log.readAfter(0, '*', 10_000);
      expect(summary.totals.events).toBe(logged.length);
      // Ann, Bob and five ghosts.
      expect(summary.totals.activeCharacters).toBe(7);
      expect(summary.totals.gold).toEqual({
        sources: { starting_gold: 50 + 80, selling: 8 },
        sinks: { buying: 24 },
      });
      // The hours add up to the totals.
      expect(summary.hours.reduce((sum, h) => sum + h.events, 0)).toBe(summary.totals.events);
      const selling = summary.hours.reduce((sum, h) => sum + (h.gold.sources.selling ?? 0), 0);
      expect(selling).toBe(8);
    });

    it('summarizes only the hours asked, and keeps no row past the retention', async () => {
      const { ping } = await world(2);
      await ping('ghost');
      await weft.events.drain();
      const counted = (await weft.execute('analytics.summary', { hours: 24 })).totals.events;
      expect(counted).toBeGreaterThan(0);
      // An hour later, the last hour alone has nothing; the last three still hold everything.
      shift = HOUR;
      expect((await weft.execute('analytics.summary', { hours: 1 })).totals.events).toBe(0);
      expect((await weft.execute('analytics.summary', { hours: 3 })).totals.events).toBe(counted);
      // Three hours on, with two kept, the next batch removes the old rows and does not count events that old.
      shift = 3 * HOUR;
      await ping('ghost');
      await weft.events.drain();
      shift = 0;
      const after = await weft.execute('analytics.summary', { hours: 24 });
      expect(after.totals).toMatchObject({ events: 0, activeCharacters: 0 });
    });
  });
}
