import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ConflictError, StateTransaction, type Integration } from 'weft/internal';
import { createTestIntegration, postgresAvailableForTests, type TestIntegration } from 'weft/testing';

const Wallet = z.object({ gold: z.int() });

/**
 * On PostgreSQL an entry a rollback finds absent holds no row lock: another process may create it before the rollback
 * writes it. That creation is a later change like any other: the rollback refuses (409) and never writes over it.
 */
describe.runIf(process.env.CI === 'true' || (await postgresAvailableForTests()))(
  'PostgreSQL: a transaction rollback racing other writers',
  () => {
    let weft: TestIntegration;
    let other: Integration;

    afterEach(async () => {
      vi.restoreAllMocks();
      await other.close();
      await weft.close();
    });

    it('refuses to bring back an entry it deleted when another process created it meanwhile', async () => {
      weft = await createTestIntegration({ dialect: 'postgres' });
      other = await weft.connectAgain();
      const wallets = weft.state.slice('economy.wallets', { schema: Wallet });
      const theirs = other.state.slice('economy.wallets', { schema: Wallet });
      await wallets.set('ann', { gold: 1 });
      await wallets.set('bob', { gold: 1 });
      const deleted = await weft.transaction(async (tx) => {
        await wallets.delete('ann');
        await wallets.set('bob', { gold: 2 });
        return tx.id;
      });
      // Another process creates ann after the rollback found it absent (its check), before it writes it.
      const restore = StateTransaction.prototype.restore;
      let created = false;
      vi.spyOn(StateTransaction.prototype, 'restore').mockImplementation(async function (
        this: StateTransaction,
        ...args: Parameters<typeof restore>
      ) {
        if (args[1] === 'ann' && !created) {
          created = true;
          await theirs.create('ann', { gold: 999 });
        }
        return restore.apply(this, args);
      });

      const refused = await weft.state.rollbackTransaction(deleted).catch((error: unknown) => error);
      expect(created).toBe(true);
      expect(refused).toBeInstanceOf(ConflictError);
      expect(refused).toMatchObject({
        message: expect.stringContaining('later changes touched economy.wallets/ann') as unknown,
        details: { conflicts: [{ system: 'economy.wallets', key: 'ann', version: 2, current: 3 }] },
      });
      // The creation stands, and nothing of the rollback was written: bob keeps the deleting transaction's value.
      expect(await wallets.entry('ann')).toMatchObject({ value: { gold: 999 }, version: 3 });
      expect((await wallets.history('ann')).map((h) => h.kind)).toEqual(['set', 'delete', 'set']);
      expect(await wallets.entry('bob')).toMatchObject({ value: { gold: 2 }, version: 2 });
    });
  },
);
