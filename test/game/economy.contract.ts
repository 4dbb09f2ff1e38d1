import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from 'weft/internal';
import { createTestIntegration, type TestIntegration, type TestIntegrationOptions } from 'weft/testing';
import { gameSystems } from '../../src/game/index.js';

const ann = { kind: 'user', id: 'user-ann', roles: ['player'] } as const;
const bob = { kind: 'user', id: 'user-bob', roles: ['player'] } as const;

/** The economy on one database backend. */
export function economyContract(name: string, options: TestIntegrationOptions): void {
  describe(`economy: ${name}`, () => {
    let weft: TestIntegration;
    afterEach(async () => {
      await weft.close();
    });

    async function world(extra: TestIntegrationOptions = {}) {
      weft = await createTestIntegration({ pollIntervalMs: 20, ...options, ...extra });
      await weft.install(...gameSystems());
      const a = await weft.execute('character.create', { name: 'Ann', class: 'alchemist' }, { actor: ann });
      const b = await weft.execute('character.create', { name: 'Bob', class: 'warrior' }, { actor: bob });
      await weft.events.drain();
      return { a: a.id, b: b.id };
    }

    it('opens a wallet with the class’s starting gold, moves gold in lines that sum to zero, and audits balanced', async () => {
      const { a, b } = await world();
      expect(await weft.execute('economy.wallet', { characterId: a }, { actor: ann })).toEqual({
        status: 'open',
        characterId: a,
        gold: 80,
      });
      await expect(weft.execute('economy.wallet', { characterId: a }, { actor: bob })).rejects.toBeInstanceOf(
        NotFoundError,
      );
      const sent = await weft.execute(
        'economy.transfer',
        { fromCharacterId: a, toCharacterId: b, gold: 30 },
        { actor: ann, idempotencyKey: 't-1' },
      );
      expect(sent).toMatchObject({ from: { gold: 50 }, to: { gold: 80 } });
      expect(
        await weft.execute(
          'economy.transfer',
          { fromCharacterId: a, toCharacterId: b, gold: 30 },
          { actor: ann, idempotencyKey: 't-1' },
        ),
      ).toEqual(sent);
      const bought = await weft.execute(
        'economy.buy',
        { characterId: a, itemId: 'iron_ore', quantity: 4 },
        { actor: ann },
      );
      expect(bought).toMatchObject({ total: 24, gold: 26 });
      const sold = await weft.execute(
        'economy.sell',
        { characterId: a, itemId: 'iron_ore', quantity: 4 },
        { actor: ann },
      );
      expect(sold).toMatchObject({ total: 8, gold: 34 });
      const missing = await weft
        .execute('economy.buy', { characterId: a, itemId: 'iron_sword', quantity: 1 }, { actor: ann })
        .catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(ConflictError);
      expect((missing as ConflictError).details).toMatchObject({ needed: 90, have: 34, missing: 56 });
      expect(
        (await weft.execute('economy.ledger', { characterId: a, limit: 2 }, { actor: ann })).lines.map((l) => l.reason),
      ).toEqual(['selling', 'buying']);
      expect(await weft.execute('economy.summary', {})).toMatchObject({
        supply: 80 + 50 - 24 + 8,
        sources: { starting_gold: 130, selling: 8, loot: 0, quest_reward: 0 },
        sinks: { buying: 24, crafting_fee: 0 },
      });
      expect(await weft.execute('economy.audit', {})).toEqual({
        balanced: true,
        wallets: 2,
        ledgerSum: 0,
        mismatches: [],
      });
    });

    it('credits and debits only a wallet the caller may act on: another player’s is a 404, nothing moved', async () => {
      const { a } = await world();
      // One at a time: both started at once, the second's refusal would go unhandled while the first is awaited.
      for (const attempt of [
        () => weft.execute('economy.debit', { characterId: a, gold: 80, sink: 'buying' }, { actor: bob }),
        () => weft.execute('economy.credit', { characterId: a, gold: 1000, source: 'loot' }, { actor: bob }),
      ]) {
        const refused = await attempt().catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(NotFoundError);
        expect((refused as NotFoundError).message).toBe(`Character ${a} has no wallet (yet).`);
      }
      expect(await weft.execute('economy.wallet', { characterId: a }, { actor: ann })).toMatchObject({ gold: 80 });
      // Its owner, an operator and the game's own subscriptions (a system actor) still move it.
      await weft.execute('economy.debit', { characterId: a, gold: 5, sink: 'buying' }, { actor: ann });
      const operator = { kind: 'operator', id: 'op', roles: ['admin'] } as const;
      await weft.execute('economy.credit', { characterId: a, gold: 3, source: 'loot' }, { actor: operator });
      expect(await weft.execute('economy.credit', { characterId: a, gold: 2, source: 'loot' })).toEqual({
        characterId: a,
        gold: 80,
      });
    });

    it('counts a wallet still opening as 0 gold: a purchase is the 409 of a short wallet, nothing given', async () => {
      await world();
      // Made in a transaction that is still open, so the wallet (opened when character.created is heard) is not there.
      const refused = await weft.transaction(async () => {
        const c = await weft.execute('character.create', { name: 'Cid', class: 'warrior' }, { actor: ann });
        const buy = weft.execute('economy.buy', { characterId: c.id, itemId: 'bread', quantity: 1 }, { actor: ann });
        return { id: c.id, error: await buy.catch((e: unknown) => e) };
      });
      expect(refused.error).toBeInstanceOf(ConflictError);
      expect((refused.error as ConflictError).details).toMatchObject({ needed: 5, have: 0, missing: 5 });
      await weft.events.drain();
      expect(await weft.execute('economy.wallet', { characterId: refused.id }, { actor: ann })).toMatchObject({
        status: 'open',
        gold: 50,
      });
      // The bread the refused purchase would have given was rolled back with it: the class's 3 only.
      expect((await weft.execute('character.get', { characterId: refused.id }, { actor: ann })).inventory).toEqual({
        copper_sword: 1,
        bread: 3,
      });
    });

    it('credits loot heard before its character’s creation once the wallet opens, past the default retries', async () => {
      await world();
      // As when the process holding economy.on_character_created died and another waits out its lease (5 s): the
      // fight's gold reaches the economy first. Published as their systems would, for a character made up here.
      const late = { characterId: 'char-late', ownerId: ann.id };
      const failures = async () =>
        (await weft.monitoring.metrics.eventsFailed.get()).values.find(
          ({ labels }) => labels.subscription === 'economy.on_encounter_resolved',
        )?.value ?? 0;
      await weft.events.publish(
        'combat.encounter_resolved' as never,
        {
          ...late,
          encounterId: 'encounter-late',
          monsterId: 'wolf',
          faction: 'wilds',
          region: 'greenvale',
          won: true,
          xp: 0,
          hpLost: 0,
          loot: [],
          gold: 7,
        } as never,
        { source: 'combat' },
      );
      // Five failed attempts: the default policy's last, after which the gold would be a dead letter.
      await expect.poll(failures, { timeout: 10_000, interval: 50 }).toBeGreaterThanOrEqual(5);
      await weft.events.publish(
        'character.created' as never,
        { ...late, name: 'Late', class: 'warrior', region: 'greenvale', startingGold: 50 } as never,
        { source: 'character' },
      );
      // Read from the slice: the wallet route asks the character system, which never heard of this character.
      await expect
        .poll(async () => (await weft.state.get('economy.wallets', late.characterId))?.value, { timeout: 20_000 })
        .toMatchObject({ characterId: late.characterId, gold: 57 });
      const letters = await weft.events.deadLetters.list({ subscription: 'economy.on_encounter_resolved' });
      expect(letters).toEqual([]);
    });

    it('refuses amounts that are zero, negative, fractional, past 2^53 or overflowing a balance, moving nothing', async () => {
      const { a, b } = await world();
      for (const gold of [0, -5, 1.5, 2 ** 53, Number.NaN]) {
        await expect(
          weft.execute('economy.transfer', { fromCharacterId: a, toCharacterId: b, gold }, { actor: ann }),
        ).rejects.toBeInstanceOf(ValidationError);
      }
      await weft.execute('economy.credit', { characterId: b, gold: Number.MAX_SAFE_INTEGER - 100, source: 'loot' });
      await expect(
        weft.execute('economy.transfer', { fromCharacterId: a, toCharacterId: b, gold: 80 }, { actor: ann }),
      ).rejects.toBeInstanceOf(ValidationError);
      expect(await weft.execute('economy.wallet', { characterId: a }, { actor: ann })).toMatchObject({ gold: 80 });
      expect((await weft.execute('economy.audit', {})).balanced).toBe(true);
    });

    it('moves gold both ways between two wallets at once with no deadlock: wallets are locked in one order', async () => {
      // No retries: a deadlock (or any lost race) reaches the caller instead of being retried away.
      const { a, b } = await world({ retry: { maxAttempts: 1 } });
      const gold = async () => [
        await weft.execute('economy.wallet', { characterId: a }, { actor: ann }),
        await weft.execute('economy.wallet', { characterId: b }, { actor: bob }),
      ];
      const before = await gold();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) =>
          i % 2 === 0
            ? weft.execute('economy.transfer', { fromCharacterId: a, toCharacterId: b, gold: 1 }, { actor: ann })
            : weft.execute('economy.transfer', { fromCharacterId: b, toCharacterId: a, gold: 1 }, { actor: bob }),
        ),
      );
      const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []));
      expect(failures).toEqual([]);
      expect(await gold()).toEqual(before);
      expect((await weft.execute('economy.audit', {})).balanced).toBe(true);
    });

    it('lets exactly one of 100 parallel transfers of a whole wallet through', async () => {
      const { a, b } = await world();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 100 }, () =>
          weft.execute('economy.transfer', { fromCharacterId: a, toCharacterId: b, gold: 80 }, { actor: ann }),
        ),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const refusals = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as Error] : []));
      expect(refusals.filter((e) => !(e instanceof ConflictError)).map((e) => `${e.name}: ${e.message}`)).toEqual([]);
      expect(await weft.execute('economy.wallet', { characterId: b }, { actor: bob })).toMatchObject({ gold: 50 + 80 });
      expect((await weft.execute('economy.audit', {})).balanced).toBe(true);
    });
  });
}
