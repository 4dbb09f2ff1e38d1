import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  ConflictError,
  EventBus,
  Migrator,
  NotFoundError,
  StateStore,
  ValidationError,
  ValidationManager,
  WeftMetrics,
  eventMigrations,
  stateChanged,
  stateMigrations,
  stateRolledBack,
  runWithContext,
  type EventEnvelope,
  type StateChange,
  type WeftLogger,
} from 'weft/internal';
import type { TestDatabase } from 'weft/testing';

const quiet = { warn: () => undefined, error: () => undefined, info: () => undefined } as unknown as WeftLogger['root'];

const wallet = z.object({ gold: z.int() });
const inventory = z.object({ items: z.array(z.string()) });
type Wallet = z.infer<typeof wallet>;

const busOn = (db: TestDatabase<unknown>, validation: ValidationManager, metrics: WeftMetrics) =>
  new EventBus({ db, validation, metrics, logger: quiet, pollIntervalMs: 20 })
    .define(stateChanged)
    .define(stateRolledBack);

/** The same behaviour on every database backend. */
export function stateContract(name: string, open: () => Promise<TestDatabase<unknown>>): void {
  describe(`state contract: ${name}`, () => {
    let db: TestDatabase<unknown>;
    let bus: ReturnType<typeof busOn>;
    let state: StateStore;
    let metrics: WeftMetrics;

    beforeEach(async () => {
      db = await open();
      await new Migrator(db).register('events', eventMigrations).register('state', stateMigrations).up();
      metrics = new WeftMetrics();
      const validation = new ValidationManager();
      bus = busOn(db, validation, metrics);
      state = new StateStore({ db, validation, events: bus, metrics, logger: quiet, callbackTimeoutMs: 200 });
      state.registerStateSync<Wallet>('economy', {
        schema: wallet,
        invariants: { 'never negative': (w) => w.gold >= 0 || `gold is ${w.gold}` },
      });
      state.registerStateSync('character', { schema: inventory });
    });

    afterEach(async () => {
      await bus.close();
      await db.close();
    });

    it('keeps versioned entries: get, list by prefix with a cursor, set with an expected version', async () => {
      const first = await state.set('economy', 'ann', { gold: 5 });
      expect(first).toMatchObject({ system: 'economy', key: 'ann', value: { gold: 5 }, version: 1 });
      await state.set('economy', 'ann', { gold: 7 }, { expectedVersion: 1 });
      for (const key of ['bob', 'bea', 'cid', 'B-upper', 'b\u{1F409}dragon'])
        await state.set('economy', key, { gold: 1 });
      expect(await state.get('economy', 'ann')).toMatchObject({ value: { gold: 7 }, version: 2 });
      expect(await state.get('economy', 'nobody')).toBeUndefined();
      const page = await state.list('economy', { prefix: 'b', limit: 1 });
      expect(page.entries.map((e) => e.key)).toEqual(['bea']);
      const next = await state.list('economy', {
        prefix: 'b',
        limit: 1,
        ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
      });
      expect(next.entries.map((e) => e.key)).toEqual(['bob']);
      // Exactly the keys with the prefix: case counts, and a character outside the BMP is one character.
      expect((await state.list('economy', { prefix: 'b' })).entries.map((e) => e.key).sort()).toEqual(
        ['bea', 'bob', 'b\u{1F409}dragon'].sort(),
      );
      expect((await state.list('economy', { prefix: 'b\u{1F409}' })).entries.map((e) => e.key)).toEqual([
        'b\u{1F409}dragon',
      ]);
      await expect(state.get('dragons', 'x')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('refuses a stale version with a 409 and a bad value with its issues, writing nothing', async () => {
      await state.set('economy', 'ann', { gold: 5 });
      const stale = await state
        .set('economy', 'ann', { gold: 9 }, { expectedVersion: 0 })
        .catch((error: unknown) => error);
      expect(stale).toBeInstanceOf(ConflictError);
      expect((stale as ConflictError).status).toBe(409);
      const invalid = await state.set('economy', 'ann', { gold: -3 }).catch((error: unknown) => error);
      expect(invalid).toBeInstanceOf(ValidationError);
      expect((invalid as ValidationError).issues.map((i) => i.message)).toEqual(['never negative: gold is -3']);
      await expect(state.set('economy', 'ann', { gold: 'lots' })).rejects.toBeInstanceOf(ValidationError);
      expect(await state.get('economy', 'ann')).toMatchObject({ value: { gold: 5 }, version: 1 });
      expect(await state.history('economy', 'ann')).toHaveLength(1);
    });

    it('resolves stale writes by the slice policy: last write wins, or a merge of base, mine and theirs', async () => {
      state.registerStateSync<{ n: number }>('world_state', {
        schema: z.object({ n: z.int() }),
        conflict: 'last-write-wins',
      });
      state.registerStateSync<{ tags: string[] }>('quest', {
        schema: z.object({ tags: z.array(z.string()) }),
        conflict: (base, mine, theirs) => ({
          tags: [...new Set([...(theirs.tags ?? []), ...mine.tags.filter((t) => !(base?.tags ?? []).includes(t))])],
        }),
      });
      await state.set('world_state', 'clock', { n: 1 });
      await state.set('world_state', 'clock', { n: 2 });
      expect(await state.set('world_state', 'clock', { n: 3 }, { expectedVersion: 1 })).toMatchObject({
        value: { n: 3 },
        version: 3,
      });
      await state.set('quest', 'q1', { tags: ['a'] });
      await state.set('quest', 'q1', { tags: ['a', 'theirs'] });
      expect(await state.set('quest', 'q1', { tags: ['a', 'mine'] }, { expectedVersion: 1 })).toMatchObject({
        value: { tags: ['a', 'theirs', 'mine'] },
      });
    });

    it('loses no increment under 200 concurrent updates of one key', async () => {
      await Promise.all(
        Array.from({ length: 200 }, () =>
          state.update<Wallet>('economy', 'pot', (w) => ({ gold: (w?.gold ?? 0) + 1 })),
        ),
      );
      expect(await state.get('economy', 'pot')).toMatchObject({ value: { gold: 200 }, version: 200 });
    });

    it('commits writes across systems and their durable events together, or nothing of them', async () => {
      const seen: EventEnvelope[] = [];
      bus.subscribe('state.changed', (e) => void seen.push(e), { name: 'watcher' });
      await bus.ready();
      await state.set('economy', 'ann', { gold: 10 });
      await state.transaction(async (tx) => {
        await tx.update<Wallet>('economy', 'ann', (w) => ({ gold: (w?.gold ?? 0) - 4 }));
        await tx.set('character', 'ann', { items: ['sword'] });
        // Inside the transaction, reads see its writes; the store joins it too.
        expect(await state.get('economy', 'ann')).toMatchObject({ value: { gold: 6 } });
      });
      await expect(
        state.transaction(async (tx) => {
          await tx.set('character', 'ann', { items: ['sword', 'shield'] });
          await tx.update<Wallet>('economy', 'ann', () => ({ gold: -1 }));
        }),
      ).rejects.toBeInstanceOf(ValidationError);
      await bus.drain();
      expect(await state.get('character', 'ann')).toMatchObject({ value: { items: ['sword'] }, version: 1 });
      expect(await state.get('economy', 'ann')).toMatchObject({ value: { gold: 6 }, version: 2 });
      expect(
        seen.map((e) => `${(e.data as { system: string }).system}@${(e.data as { version: number }).version}`),
      ).toEqual(['economy@1', 'economy@2', 'character@1']);
    });

    it('runs a transaction inside another as a savepoint: its failure undoes its writes and changes only', async () => {
      const seen: EventEnvelope[] = [];
      bus.subscribe('state.changed', (e) => void seen.push(e), { name: 'watcher' });
      await bus.ready();
      const changed: string[] = [];
      state.onChange('*', (change) => void changed.push(`${change.system}/${change.key}@${change.version}`));
      const succeeded: number[] = [];
      await state.transaction(async (tx) => {
        await tx.set('economy', 'ann', { gold: 10 });
        await expect(
          state.transaction(
            async (inner) => {
              await inner.set('character', 'ann', { items: ['cursed'] });
              throw new Error('the inner step failed');
            },
            { onSuccess: () => void succeeded.push(1) },
          ),
        ).rejects.toThrow('the inner step failed');
        await state.transaction(
          async (inner) => {
            await inner.set('character', 'bob', { items: ['sword'] });
          },
          { onSuccess: ({ changes }) => void succeeded.push(changes.length) },
        );
      });
      await bus.drain();
      expect(await state.get('character', 'ann')).toBeUndefined();
      expect(await state.get('character', 'bob')).toMatchObject({ version: 1 });
      expect(changed.sort()).toEqual(['character/bob@1', 'economy/ann@1']);
      expect(seen.map((e) => (e.data as { key: string; system: string }).system).sort()).toEqual([
        'character',
        'economy',
      ]);
      expect(succeeded).toEqual([1]);
    });

    it('aborts a transaction that breaks a cross-system invariant, with a report, and counts the rollback', async () => {
      state.registerInvariant('gold is conserved', ['economy'], async (view) => {
        const { entries } = await view.list<Wallet>('economy', { limit: 1000 });
        const total = entries.reduce((sum, e) => sum + e.value.gold, 0);
        return total === 100 || `total gold is ${total}, not 100`;
      });
      await state.transaction(async (tx) => {
        await tx.set('economy', 'ann', { gold: 60 });
        await tx.set('economy', 'bob', { gold: 40 });
      });
      const failures: unknown[] = [];
      const broken = await state
        .transaction(
          async (tx) => void (await tx.update<Wallet>('economy', 'ann', (w) => ({ gold: (w?.gold ?? 0) + 1 }))),
          { onError: ({ error }) => void failures.push(error) },
        )
        .catch((error: unknown) => error);
      expect(broken).toBeInstanceOf(ValidationError);
      expect((broken as Error).message).toContain('gold is conserved: total gold is 101, not 100');
      expect(failures).toEqual([broken]);
      expect(await state.get('economy', 'ann')).toMatchObject({ value: { gold: 60 } });
      expect(await metrics.text()).toContain('weft_transaction_rollbacks_total{system="economy"} 1');
    });

    it('keeps the sum and no negative balance under 1,000 concurrent random transfers between 20 entries', async () => {
      const keys = Array.from({ length: 20 }, (_, i) => `p${String(i).padStart(2, '0')}`);
      await state.transaction(async (tx) => {
        for (const key of keys) await tx.set('economy', key, { gold: 50 });
      });
      state.registerInvariant('gold is conserved', ['economy'], async (view) => {
        const { entries } = await view.list<Wallet>('economy', { limit: 1000 });
        return entries.reduce((sum, e) => sum + e.value.gold, 0) === 1000;
      });
      const pick = () => keys[Math.floor(Math.random() * keys.length)] ?? 'p00';
      const results = await Promise.allSettled(
        Array.from({ length: 1000 }, async () => {
          const from = pick();
          const to = pick();
          const amount = 1 + Math.floor(Math.random() * 30);
          for (let attempt = 0; ; attempt++) {
            try {
              return await state.transaction(async (tx) => {
                // Written in key order, so two transfers never wait on each other's row locks in a circle.
                const moves = [
                  { key: from, delta: -amount },
                  { key: to, delta: amount },
                ].sort((a, b) => a.key.localeCompare(b.key));
                for (const { key, delta } of moves)
                  await tx.update<Wallet>('economy', key, (w) => ({ gold: (w?.gold ?? 0) + delta }));
              });
            } catch (error) {
              if (!(error instanceof ConflictError) || attempt > 20) throw error;
            }
          }
        }),
      );
      const refused = results.filter((r) => r.status === 'rejected').map((r) => r.reason as unknown);
      // The only refusals are transfers that would have made a balance negative.
      for (const reason of refused) expect(reason).toBeInstanceOf(ValidationError);
      const { entries } = await state.list<Wallet>('economy', { limit: 100 });
      expect(entries.reduce((sum, e) => sum + e.value.gold, 0)).toBe(1000);
      for (const entry of entries) expect(entry.value.gold).toBeGreaterThanOrEqual(0);
    });

    it('runs change callbacks and onSuccess after commit, isolated and timed; a failing one changes nothing', async () => {
      const changes: StateChange[] = [];
      const done: string[] = [];
      state.onChange('economy', (change) => void changes.push(change));
      state.onChange('*', () => {
        throw new Error('this callback is broken');
      });
      state.onChange('character', () => sleep(1000));
      const result = await state.transaction(
        async (tx) => {
          await tx.set('economy', 'ann', { gold: 3 });
          await tx.set('character', 'ann', { items: [] });
          return 'crafted';
        },
        { onSuccess: ({ transactionId }) => void done.push(transactionId) },
      );
      expect(result).toBe('crafted');
      expect(changes).toEqual([
        {
          system: 'economy',
          key: 'ann',
          before: undefined,
          after: { gold: 3 },
          version: 1,
          transactionId: done[0],
          kind: 'set',
        },
      ]);
      expect(await state.get('economy', 'ann')).toMatchObject({ value: { gold: 3 } });
      const text = await metrics.text();
      expect(text).toContain('weft_state_callbacks_total{system="economy",callback="onChange",outcome="ok"} 1');
      expect(text).toContain('weft_state_callbacks_total{system="economy",callback="onChange",outcome="error"} 1');
      expect(text).toContain('weft_state_callbacks_total{system="character",callback="onChange",outcome="error"} 1');
      expect(text).toContain('weft_state_callbacks_total{system="character",callback="onChange",outcome="timeout"} 1');
    });

    it('keeps history with patches, rolls an entry back as a new version and emits state.rolled_back', async () => {
      state.registerStateSync<Wallet>('quest', { schema: wallet, retention: { versions: 3 } });
      const rolled: EventEnvelope[] = [];
      bus.subscribe('state.rolled_back', (e) => void rolled.push(e), { name: 'rollbacks' });
      await bus.ready();
      for (const gold of [1, 2, 3]) await state.set('economy', 'ann', { gold });
      const fourth = await runWithContext({ correlationId: 'request-7', system: 'economy' }, () =>
        state.set('economy', 'ann', { gold: 4 }),
      );
      expect(fourth.updatedBy).toBe('economy');
      const history = await state.history('economy', 'ann');
      expect(history.at(-1)).toMatchObject({ correlation_id: 'request-7', changed_by: 'economy', kind: 'set' });
      expect(history.at(-1)?.transaction_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(history.map((h) => [h.version, JSON.parse(h.patch) as unknown])).toEqual([
        [1, [{ op: 'replace', path: '', value: { gold: 1 } }]],
        [2, [{ op: 'replace', path: '/gold', value: 2 }]],
        [3, [{ op: 'replace', path: '/gold', value: 3 }]],
        [4, [{ op: 'replace', path: '/gold', value: 4 }]],
      ]);
      expect(await state.rollbackState('economy', 'ann', { toVersion: 2 })).toMatchObject({
        value: { gold: 2 },
        version: 5,
      });
      expect((await state.history('economy', 'ann')).map((h) => h.kind)).toEqual([
        'set',
        'set',
        'set',
        'set',
        'rollback',
      ]);
      await expect(state.rollbackState('economy', 'ann', { toVersion: 99 })).rejects.toBeInstanceOf(NotFoundError);
      for (const gold of [1, 2, 3, 4, 5]) await state.set('quest', 'q', { gold });
      expect((await state.history('quest', 'q')).map((h) => h.version)).toEqual([3, 4, 5]);
      await bus.drain();
      expect(rolled.map((e) => e.data)).toMatchObject([{ system: 'economy', key: 'ann', version: 5, toVersion: 2 }]);
    });

    it('refuses to roll an entry back to a version that was a deletion, writing nothing', async () => {
      const rolled: EventEnvelope[] = [];
      bus.subscribe('state.rolled_back', (e) => void rolled.push(e), { name: 'rollbacks' });
      await bus.ready();
      await state.set('economy', 'ann', { gold: 1 });
      await state.delete('economy', 'ann');
      await state.set('economy', 'ann', { gold: 5 });
      // Version 2 holds no value: once, the entry was deleted and then a 404 answered for the change committed.
      const refused = await state.rollbackState('economy', 'ann', { toVersion: 2 }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ValidationError);
      expect(refused).toMatchObject({
        issues: [{ path: ['toVersion'], code: 'deleted_version' }],
        details: { system: 'economy', key: 'ann', toVersion: 2 },
      });
      expect(await state.get('economy', 'ann')).toMatchObject({ value: { gold: 5 }, version: 3 });
      expect((await state.history('economy', 'ann')).map((h) => h.kind)).toEqual(['set', 'delete', 'set']);
      // A version holding a value comes back, answered as the rollback wrote it.
      expect(await state.rollbackState('economy', 'ann', { toVersion: 1 })).toMatchObject({
        value: { gold: 1 },
        version: 4,
      });
      await bus.drain();
      expect(rolled.map((e) => e.data)).toMatchObject([{ key: 'ann', version: 4, toVersion: 1 }]);
    });

    it('rolls back a whole transaction, refusing when a later change touched its entries unless forced', async () => {
      await state.set('economy', 'ann', { gold: 10 });
      let id = '';
      await state.transaction(async (tx) => {
        id = tx.id;
        await tx.set('economy', 'ann', { gold: 4 });
        await tx.set('character', 'ann', { items: ['sword'] });
      });
      const undone = await state.rollbackTransaction(id);
      expect(undone.reverted.map((c) => `${c.system}:${c.kind}`).sort()).toEqual([
        'character:delete',
        'economy:rollback',
      ]);
      expect(await state.get('economy', 'ann')).toMatchObject({ value: { gold: 10 }, version: 3 });
      expect(await state.get('character', 'ann')).toBeUndefined();

      let second = '';
      await state.transaction(async (tx) => {
        second = tx.id;
        await tx.set('economy', 'ann', { gold: 1 });
      });
      await state.set('economy', 'ann', { gold: 2 });
      const refused = await state.rollbackTransaction(second).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ConflictError);
      expect((refused as ConflictError).details).toMatchObject({
        conflicts: [{ system: 'economy', key: 'ann', version: 4, current: 5 }],
      });
      expect(await state.get('economy', 'ann')).toMatchObject({ value: { gold: 2 } });
      await state.rollbackTransaction(second, { force: true });
      expect(await state.get('economy', 'ann')).toMatchObject({ value: { gold: 10 }, version: 6 });
      await expect(state.rollbackTransaction('no-such-transaction')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('rolls back inside another transaction, reporting and announcing only what the rollback wrote', async () => {
      const rolled: EventEnvelope[] = [];
      bus.subscribe('state.rolled_back', (e) => void rolled.push(e), { name: 'rollbacks' });
      await bus.ready();
      await state.set('character', 'old', { items: [] });
      await state.set('economy', 'bob', { gold: 3 });
      let id = '';
      await state.transaction(async (tx) => {
        id = tx.id;
        await tx.set('economy', 'ann', { gold: 1 });
      });
      // The outer transaction's own writes, before and after the rollback, are neither reverted nor rolled back.
      const undone = await state.transaction(async () => {
        await state.set('character', 'bob', { items: ['x'] });
        await state.delete('character', 'old');
        const inner = await state.rollbackTransaction(id);
        await state.delete('economy', 'bob');
        return inner;
      });
      expect(undone.reverted.map((c) => `${c.system}/${c.key}:${c.kind}`)).toEqual(['economy/ann:delete']);
      expect(await state.get('economy', 'ann')).toBeUndefined();
      expect(await state.get('character', 'old')).toBeUndefined();
      await state.set('character', 'cid', { items: [] });
      await state.transaction(async () => {
        await state.set('character', 'cid', { items: ['y'] });
        await state.rollbackState('character', 'cid', { toVersion: 1 });
        await state.delete('character', 'bob');
      });
      await bus.drain();
      expect(rolled.map((e) => e.data)).toEqual([
        expect.objectContaining({ system: 'economy', key: 'ann', kind: 'delete', revertedTransactionId: id }),
        expect.objectContaining({ system: 'character', key: 'cid', version: 3, kind: 'rollback', toVersion: 1 }),
      ]);
    });

    it('lists what a transaction wrote, and refuses to roll back a slice registered with rollback: false', async () => {
      state.registerStateSync('ledgered', { schema: z.strictObject({ gold: z.int() }), rollback: false });
      await state.set('ledgered', 'ann', { gold: 1 });
      let id = '';
      await state.transaction(async (tx) => {
        id = tx.id;
        await tx.set('ledgered', 'ann', { gold: 9 });
        await tx.set('character', 'ann', { items: ['coin'] });
      });
      const written = await state.transactionChanges(id);
      expect(written.map((row) => `${row.system}/${row.key}@${row.version}`).sort()).toEqual([
        'character/ann@1',
        'ledgered/ann@2',
      ]);
      expect(await state.transactionChanges('no-such-transaction')).toEqual([]);

      const whole = await state.rollbackTransaction(id).catch((error: unknown) => error);
      expect(whole).toBeInstanceOf(ConflictError);
      expect((whole as ConflictError).details).toMatchObject({ slices: ['ledgered'] });
      await expect(state.rollbackState('ledgered', 'ann', { toVersion: 1 })).rejects.toBeInstanceOf(ConflictError);
      // Refused before anything was written: the other slice's change stands too.
      expect(await state.get('ledgered', 'ann')).toMatchObject({ value: { gold: 9 }, version: 2 });
      expect(await state.get('character', 'ann')).toMatchObject({ version: 1 });
      expect(() =>
        state.registerStateSync('odd', { schema: z.object({}), rollback: 'no' as unknown as boolean }),
      ).toThrow(ConfigError);
    });

    it('validates all state on demand and reports status per system', async () => {
      await state.set('economy', 'ann', { gold: 5 });
      await state.set('economy', 'bob', { gold: 6 });
      // A value written behind the store's back, as an old release or a manual fix might have.
      await db
        .withTables<{ weft_state_entries: { system: string; key: string; value: string } }>()
        .executor()
        .updateTable('weft_state_entries')
        .set({ value: '{"gold":-2}' })
        .where('key', '=', 'bob')
        .execute();
      const report = await state.validateState('economy');
      expect(report.ok).toBe(false);
      expect(report.systems).toMatchObject([{ system: 'economy', entries: 2, failing: 1, issues: [{ key: 'bob' }] }]);
      await expect(state.set('economy', 'ann', { gold: 1 }, { expectedVersion: 0 })).rejects.toBeInstanceOf(
        ConflictError,
      );
      const status = await state.getSyncStatus();
      expect(status.health).toBe('ok');
      expect(status.systems.find((s) => s.system === 'economy')).toMatchObject({
        entries: 2,
        lastVersion: 1,
        changesLastMinute: 2,
        conflictsLastMinute: 1,
        undeliveredEvents: 0,
        deadLetters: 0,
      });
      expect(status.systems.find((s) => s.system === 'character')).toMatchObject({ entries: 0, changesLastMinute: 0 });
    });

    it("reports a delete as its slice's latest change", async () => {
      await state.set('economy', 'ann', { gold: 5 });
      await state.set('economy', 'bob', { gold: 6 });
      await state.delete('economy', 'ann');
      const deleted = (await state.history('economy', 'ann')).find((row) => row.kind === 'delete');
      expect(deleted).toMatchObject({ version: 2 });
      const status = await state.getSyncStatus();
      expect(status.systems.find((s) => s.system === 'economy')).toMatchObject({
        entries: 1,
        lastChangeAt: deleted?.changed_at,
        lastVersion: 2,
      });
    });
  });
}
