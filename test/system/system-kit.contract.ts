import { Writable } from 'node:stream';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  ForbiddenError,
  MonitoringManager,
  NotFoundError,
  ValidationError,
  WeftError,
  defineSystem,
  type Integration,
  type StateEntry,
  type SystemHandle,
} from 'weft/internal';
import { createTestIntegration, type TestIntegration, type TestIntegrationOptions } from 'weft/testing';

const Wallet = z.object({ gold: z.int().min(0) });
type Wallet = z.infer<typeof Wallet>;
const Bag = z.object({ items: z.record(z.string(), z.int().min(0)) });

/** A small economy: wallets, a `pay` command (idempotent), a `gold_paid` event. */
function economy(calls: { pay: number } = { pay: 0 }) {
  return defineSystem({
    name: 'bank',
    setup(sys) {
      sys.migrations([
        {
          name: '001_receipts',
          up: (db) =>
            db.schema
              .createTable('bank_receipts')
              .addColumn('id', 'text', (c) => c.primaryKey())
              .addColumn('gold', 'integer', (c) => c.notNull())
              .execute(),
          down: (db) => db.schema.dropTable('bank_receipts').execute(),
        },
      ]);
      const wallets = sys.state.slice('wallets', { schema: Wallet });
      const paid = sys.events.define({
        name: 'gold_paid',
        durable: true,
        schema: z.object({ from: z.string(), to: z.string(), gold: z.int() }),
        partitionKey: (data) => data.from,
      });
      const receipts = sys.database<{ bank_receipts: { id: string; gold: number } }>();
      sys.command(
        'open_wallet',
        { input: z.object({ id: z.string(), gold: z.int().min(0) }), output: z.object({ gold: z.int() }) },
        async (input) => (await wallets.create(input.id, { gold: input.gold })).value,
      );
      sys.command(
        'pay',
        {
          input: z.object({ from: z.string(), to: z.string(), gold: z.int().min(1) }),
          output: z.object({ receipt: z.string(), left: z.int() }),
          idempotent: true,
        },
        async (input, context) => {
          calls.pay++;
          const from = await wallets.update(input.from, (w) => ({ gold: w.gold - input.gold }));
          await wallets.update(input.to, (w) => ({ gold: w.gold + input.gold }));
          const receipt = `${context.correlationId}:${calls.pay}`;
          await receipts.executor().insertInto('bank_receipts').values({ id: receipt, gold: input.gold }).execute();
          await sys.events.publish(paid, input);
          return { receipt, left: from.value.gold };
        },
      );
      sys.command(
        'broken',
        { input: z.object({}), output: z.object({ ok: z.literal(true) }) },
        () => ({ ok: false }) as unknown as { ok: true },
      );
    },
  });
}

/** A shop that sells through economy: a nested command, a cross-system event, its own typed slice. */
const shop = defineSystem({
  name: 'store',
  setup(sys) {
    const bags = sys.state.slice('bags', { schema: Bag });
    sys.events.subscribe('bank.gold_paid', async (event) => {
      const data = event.data as { to: string; gold: number };
      await bags.upsert(data.to, (bag) => ({ items: { ...bag?.items, coin: (bag?.items.coin ?? 0) + data.gold } }));
    });
    sys.command(
      'buy',
      {
        input: z.object({ buyer: z.string(), item: z.string(), price: z.int().min(1) }),
        output: z.object({ left: z.int() }),
      },
      async (input) => {
        const paid = (await sys.execute('bank.pay', { from: input.buyer, to: 'store', gold: input.price })) as {
          left: number;
        };
        await bags.upsert(input.buyer, (bag) => ({
          items: { ...bag?.items, [input.item]: (bag?.items[input.item] ?? 0) + 1 },
        }));
        if (input.item === 'cursed') throw new ValidationError('Cursed items cannot be sold.');
        return { left: paid.left };
      },
    );
  },
});

const user = (id: string) => ({ kind: 'user' as const, id });

async function openWallets(weft: Integration, wallets: Record<string, number>): Promise<void> {
  for (const [id, gold] of Object.entries(wallets)) await weft.execute('bank.open_wallet', { id, gold });
}

async function gold(weft: Integration, id: string): Promise<number | undefined> {
  return (await weft.state.get<Wallet>('bank.wallets', id))?.value.gold;
}

/** The system kit on one database backend. */
export function systemKitContract(name: string, options: TestIntegrationOptions): void {
  describe(`system kit: ${name}`, () => {
    const opened: Array<{ close(): Promise<void> }> = [];
    const integration = async (extra: TestIntegrationOptions = {}) => {
      const weft: TestIntegration = await createTestIntegration({ pollIntervalMs: 20, ...options, ...extra });
      opened.push(weft);
      return weft;
    };
    afterEach(async () => {
      for (const weft of opened.splice(0).reverse()) await weft.close();
    });

    it("gives a system one handle: events typed under its name, a 403 for another system's type, named subscriptions", async () => {
      const weft = await integration();
      const crafting = weft.system('crafting');
      const quest = weft.system('quest');
      expect(weft.system('crafting')).toBe(crafting);
      const crafted = crafting.events.define({
        name: 'item_crafted',
        durable: true,
        schema: z.object({ itemId: z.string() }),
      });
      expectTypeOf(crafted.type).toEqualTypeOf<'crafting.item_crafted'>();
      const seen: string[] = [];
      const unsubscribe = quest.events.subscribe(crafted, (event) => {
        expectTypeOf(event.data).toEqualTypeOf<{ itemId: string }>();
        seen.push(event.data.itemId);
      });
      await weft.events.ready();
      expect(weft.events.wiring().subscriptions).toContainEqual({
        pattern: 'crafting.item_crafted',
        name: 'quest.on_item_crafted',
        replayable: false,
      });
      await expect(quest.events.publish(crafted, { itemId: 'sword' })).rejects.toBeInstanceOf(ForbiddenError);
      await expect(
        crafting.events.publish(crafted, { itemId: 3 } as unknown as { itemId: string }),
      ).rejects.toBeInstanceOf(ValidationError);
      const envelope = await crafting.events.publish(crafted, { itemId: 'sword' });
      expect(envelope).toMatchObject({ type: 'crafting.item_crafted', source: 'crafting' });
      await weft.events.drain();
      expect(seen).toEqual(['sword']);
      expect(await weft.monitoring.metrics.text()).toContain(
        'weft_events_delivered_total{type="crafting.item_crafted",subscription="quest.on_item_crafted"} 1',
      );
      expect(() => quest.events.subscribe(crafted, () => undefined)).toThrow(ConfigError);
      expect(() => quest.events.subscribe(crafted, () => undefined, { name: 'Bad Name' })).toThrow(ConfigError);
      // A wrong name is quoted as it was given, not as `crafting.crafting.sword_made`.
      expect(() =>
        crafting.events.define({ name: 'crafting.sword_made', durable: true, schema: z.object({}) }),
      ).toThrow(
        'An event of crafting is named in snake_case (it becomes crafting.<name>); received "crafting.sword_made".',
      );
      // An event nobody defined names the call a system makes to define it.
      await expect(crafting.events.publish('crafting.sword_made' as never, {} as never)).rejects.toThrow(
        /not defined; its owner defines it in setup with sys\.events\.define/,
      );
      await unsubscribe();
    });

    it('types a slice from its schema, in and out of weft.transaction; a bad value or a missing key changes nothing', async () => {
      const weft = await integration();
      const wallets = weft.system('bank').state.slice('wallets', { schema: Wallet });
      expectTypeOf(wallets.get).returns.resolves.toEqualTypeOf<Wallet | undefined>();
      expectTypeOf(wallets.update).parameter(1).toEqualTypeOf<(value: Wallet) => Wallet | Promise<Wallet>>();
      expectTypeOf(wallets.entry).returns.resolves.toEqualTypeOf<StateEntry<Wallet> | undefined>();
      await wallets.create('ann', { gold: 10 });
      await expect(wallets.create('ann', { gold: 1 })).rejects.toMatchObject({ code: 'WEFT_CONFLICT' });
      await weft.transaction(async () => {
        await wallets.update('ann', (w) => ({ gold: w.gold - 4 }));
        await wallets.upsert('bob', (w) => ({ gold: (w?.gold ?? 0) + 4 }));
      });
      expect(await wallets.get('ann')).toEqual({ gold: 6 });
      expect(await wallets.get('bob')).toEqual({ gold: 4 });
      await expect(wallets.update('nobody', (w) => w)).rejects.toBeInstanceOf(NotFoundError);
      await expect(
        weft.transaction(async () => {
          await wallets.update('bob', (w) => ({ gold: w.gold + 100 }));
          await wallets.update('ann', (w) => ({ gold: w.gold - 100 }));
        }),
      ).rejects.toBeInstanceOf(ValidationError);
      expect(await wallets.get('ann')).toEqual({ gold: 6 });
      expect(await wallets.get('bob')).toEqual({ gold: 4 });
      expect((await wallets.entry('ann'))?.updatedBy).toBeUndefined();
      expect((await wallets.history('ann')).map((row) => row.version)).toEqual([1, 2]);
      expect(wallets.id).toBe('bank.wallets');
      expect(() => weft.system('bank').state.slice('wallets', { schema: Wallet })).toThrow(ConfigError);
    });

    it('binds the logger and metrics to the system: a system field on each line, a system label on each series', async () => {
      const lines: Array<Record<string, unknown>> = [];
      const destination = new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
          done();
        },
      });
      const weft = await integration({
        monitoring: new MonitoringManager({ logger: { level: 'info', destination }, processMetrics: false }),
      });
      const crafting = weft.system('crafting');
      crafting.logger.info({ recipeId: 'sword' }, 'crafted');
      const crafts = crafting.metrics.counter('crafts_total', { help: 'Items crafted.', labelNames: ['recipe'] });
      crafts.inc({ recipe: 'sword' });
      crafts.inc({ recipe: 'sword' }, 2);
      crafting.metrics.histogram('craft_ms', { help: 'Craft time.' }).observe({}, 3);
      expect(lines.find((line) => line.msg === 'crafted')).toMatchObject({ system: 'crafting', recipeId: 'sword' });
      const text = await weft.monitoring.metrics.text();
      expect(text).toContain('weft_crafting_crafts_total{recipe="sword",system="crafting"} 3');
      expect(text).toContain('weft_crafting_craft_ms_count{system="crafting"} 1');
      expect(() => crafting.metrics.counter('Crafts', { help: 'x' })).toThrow(ConfigError);
    });

    it('installs systems: migrations under each name, then subscriptions to events a later system defines', async () => {
      const weft = await integration();
      await weft.install(shop, economy());
      weft.assertWired();
      const status = await weft.migrator().status();
      expect(status.filter((row) => row.part === 'bank')).toMatchObject([{ name: '001_receipts', applied: true }]);
      await openWallets(weft, { ann: 50, store: 0 });
      await weft.execute('bank.pay', { from: 'ann', to: 'store', gold: 5 }, { actor: user('ann') });
      await weft.events.drain();
      // shop subscribed to economy.gold_paid before economy defined it: the subscription is durable all the same.
      expect(await weft.state.get('store.bags', 'store')).toMatchObject({ value: { items: { coin: 5 } } });
      expect(weft.events.wiring().subscriptions).toContainEqual({
        pattern: 'bank.gold_paid',
        name: 'store.on_gold_paid',
        replayable: false,
      });
      await expect(weft.install(economy())).rejects.toBeInstanceOf(ConfigError);
      expect(() => weft.system('store').migrations([])).toThrow(ConfigError);
    });

    it('runs a command: input checked (422), one transaction, a checked result; a repeated key returns the first result', async () => {
      const calls = { pay: 0 };
      const weft = await integration();
      await weft.install(economy(calls));
      await openWallets(weft, { ann: 20, bob: 0 });
      const pay = { from: 'ann', to: 'bob', gold: 5 };
      const first = await weft.execute('bank.pay', pay, { actor: user('ann'), idempotencyKey: 'k-1' });
      const again = await weft.execute('bank.pay', pay, { actor: user('ann'), idempotencyKey: 'k-1' });
      expect(again).toEqual(first);
      expect(calls.pay).toBe(1);
      expect(await gold(weft, 'ann')).toBe(15);
      // Another actor's key of the same text is its own.
      await weft.execute('bank.pay', pay, { actor: user('bob-friend'), idempotencyKey: 'k-1' });
      expect(calls.pay).toBe(2);
      const reused = weft.execute('bank.pay', { ...pay, gold: 6 }, { actor: user('ann'), idempotencyKey: 'k-1' });
      await expect(reused).rejects.toBeInstanceOf(ValidationError);
      await expect(reused).rejects.toMatchObject({
        issues: [expect.objectContaining({ code: 'idempotency_key_reused' })],
      });
      await expect(weft.execute('bank.pay', { ...pay, gold: 0 })).rejects.toMatchObject({
        status: 422,
        issues: [expect.objectContaining({ path: ['gold'] })],
      });
      await expect(weft.execute('bank.pay', { ...pay, gold: 500 })).rejects.toBeInstanceOf(ValidationError);
      await expect(weft.execute('bank.nothing', {})).rejects.toBeInstanceOf(NotFoundError);
      await expect(
        weft.execute('bank.open_wallet', { id: 'x', gold: 1 }, { idempotencyKey: 'k' }),
      ).rejects.toMatchObject({
        issues: [expect.objectContaining({ code: 'not_idempotent' })],
      });
      await expect(weft.execute('bank.pay', pay, { idempotencyKey: 'has space' })).rejects.toBeInstanceOf(
        ValidationError,
      );
      await expect(weft.execute('bank.pay', pay, { actor: { kind: 'user', id: '' } })).rejects.toBeInstanceOf(
        ValidationError,
      );
      const broken = weft.execute('bank.broken', {});
      await expect(broken).rejects.toBeInstanceOf(WeftError);
      await expect(broken).rejects.toMatchObject({ status: 500 });
      expect(await gold(weft, 'ann')).toBe(10);
      expect(await gold(weft, 'bob')).toBe(10);
      // Two runs that committed, and the one that failed for want of gold: no repeat ran again.
      expect(calls.pay).toBe(3);
      // Timed under the command's name; a refusal (4xx) is not an error for budgets, a failure (5xx) is.
      const text = await weft.monitoring.metrics.text();
      for (const outcome of ['ok', 'replayed', 'refused', 'error']) {
        expect(text).toMatch(
          new RegExp(
            `weft_operation_duration_ms_count\\{operation="bank\\.(pay|broken)",outcome="${outcome}"\\} [1-9]`,
          ),
        );
      }
    });

    it('runs concurrent repeats of one key once, in one process', async () => {
      const calls = { pay: 0 };
      const weft = await integration();
      await weft.install(economy(calls));
      await openWallets(weft, { ann: 100, bob: 0 });
      const pay = { from: 'ann', to: 'bob', gold: 7 };
      const results = await Promise.all(
        Array.from({ length: 10 }, () => weft.execute('bank.pay', pay, { actor: user('ann'), idempotencyKey: 'same' })),
      );
      expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
      expect(calls.pay).toBe(1);
      expect(await gold(weft, 'ann')).toBe(93);
    });

    it('nests a command in another: one transaction, a failure of either undoes both', async () => {
      const weft = await integration();
      await weft.install(economy(), shop);
      await openWallets(weft, { ann: 30, store: 0 });
      expect(
        await weft.execute('store.buy', { buyer: 'ann', item: 'sword', price: 10 }, { actor: user('ann') }),
      ).toEqual({
        left: 20,
      });
      await expect(weft.execute('store.buy', { buyer: 'ann', item: 'cursed', price: 10 })).rejects.toBeInstanceOf(
        ValidationError,
      );
      await expect(weft.execute('store.buy', { buyer: 'ann', item: 'gem', price: 100 })).rejects.toBeInstanceOf(
        ValidationError,
      );
      expect(await gold(weft, 'ann')).toBe(20);
      expect(await weft.state.get('store.bags', 'ann')).toMatchObject({ value: { items: { sword: 1 } } });
      const receipts = await weft.db.executor().selectFrom('bank_receipts').selectAll().execute();
      expect(receipts).toHaveLength(1);
    });

    it('runs a one-statement read without a transaction, never seeing another transaction uncommitted', async () => {
      const weft = await integration();
      let insideTransaction: boolean | undefined;
      const reader = defineSystem({
        name: 'reader',
        setup(sys) {
          sys.command(
            'count',
            { input: z.object({}), output: z.object({ rows: z.int() }), readOnly: true, oneStatement: true },
            async () => {
              insideTransaction = weft.db.inTransaction();
              const rows = await weft.db.executor().selectFrom('bank_receipts').selectAll().execute();
              return { rows: rows.length };
            },
          );
          expect(() =>
            sys.command('write', { input: z.object({}), output: z.object({}), oneStatement: true }, () => ({})),
          ).toThrow(ConfigError);
        },
      });
      await weft.install(economy(), reader);
      expect(await weft.execute('reader.count', {})).toEqual({ rows: 0 });
      expect(insideTransaction).toBe(false);
      // A write transaction holds a receipt uncommitted while the read runs: the read sees the committed table.
      let release = (): void => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      const writing = weft.db.transaction(async (tx) => {
        await tx.insertInto('bank_receipts').values({ id: 'r1', gold: 1 }).execute();
        await held;
        throw new Error('rolled back');
      });
      const reading = weft.execute('reader.count', {});
      release();
      await expect(writing).rejects.toThrow('rolled back');
      expect(await reading).toEqual({ rows: 0 });
    });

    // Two integrations in one Node.js process stand for two processes on PostgreSQL only: on SQLite the
    // second one's busy wait would block the event loop the first needs to commit.
    if (options.dialect === 'postgres') {
      it('runs concurrent repeats of one key once across two processes on one database', async () => {
        const calls = { pay: 0 };
        const a = await integration();
        await a.install(economy(calls));
        const b = await a.connectAgain({ pollIntervalMs: 20 });
        opened.push(b);
        await b.install(economy(calls));
        await openWallets(a, { ann: 1000, bob: 0 });
        for (let round = 0; round < 5; round++) {
          const pay = { from: 'ann', to: 'bob', gold: 3 };
          const key = { actor: user('ann'), idempotencyKey: `round-${round}` };
          const results = await Promise.all([
            a.execute('bank.pay', pay, key),
            b.execute('bank.pay', pay, key),
            a.execute('bank.pay', pay, key),
            b.execute('bank.pay', pay, key),
          ]);
          expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
        }
        expect(await gold(a, 'ann')).toBe(1000 - 5 * 3);
        expect(await gold(b, 'bob')).toBe(5 * 3);
        const receipts = await a.db.executor().selectFrom('bank_receipts').selectAll().execute();
        expect(receipts).toHaveLength(5);
      });
    }

    it('runs a subscriber as its system: its writes are updatedBy it, its own events publish without a source', async () => {
      const weft = await integration();
      const crafting = weft.system('crafting');
      const crafted = crafting.events.define({
        name: 'item_crafted',
        durable: true,
        schema: z.object({ itemId: z.string() }),
      });
      const quest = weft.system('quest');
      const progress = quest.state.slice('progress', { schema: z.object({ crafted: z.int() }) });
      const advanced = quest.events.define({
        name: 'advanced',
        durable: false,
        schema: z.object({ crafted: z.int() }),
      });
      quest.events.subscribe(crafted, async () => {
        const entry = await progress.upsert('ann', (p) => ({ crafted: (p?.crafted ?? 0) + 1 }));
        // No source given: the context says quest, which owns quest.advanced.
        await weft.events.publish(advanced.type as never, entry.value as never);
      });
      await weft.events.ready();
      await crafting.events.publish(crafted, { itemId: 'sword' });
      await weft.events.drain();
      expect(await progress.entry('ann')).toMatchObject({ value: { crafted: 1 }, updatedBy: 'quest' });
    });

    it('runs a subscriber as its system, never as the player whose command woke the delivery', async () => {
      const weft = await integration();
      const crafting = weft.system('crafting');
      const crafted = crafting.events.define({
        name: 'item_crafted',
        durable: true,
        schema: z.object({ itemId: z.string() }),
      });
      const craft = crafting.command(
        'craft',
        { input: z.object({ itemId: z.string() }), output: z.object({ ok: z.boolean() }) },
        async ({ itemId }) => {
          await crafting.events.publish(crafted, { itemId });
          return { ok: true };
        },
      );
      const quest = weft.system('quest');
      const whoami = quest.command(
        'whoami',
        { input: z.object({}), output: z.object({ actor: z.string() }), readOnly: true },
        (_input, { actor }) => ({ actor: `${actor.kind}:${actor.id}` }),
      );
      const seen: string[] = [];
      quest.events.subscribe(crafted, async () => {
        seen.push((await quest.execute(whoami, {})).actor);
      });
      await weft.events.ready();
      // The commit wakes the delivery from inside the player's command; its handler must not inherit that player.
      await weft.execute(craft, { itemId: 'sword' }, { actor: { kind: 'user', id: 'ann', roles: ['player'] } });
      await vi.waitFor(() => expect(seen).toHaveLength(1));
      expect(seen).toEqual(['system:quest']);
    });

    it('creates an entry only when there is none, whatever the conflict policy', async () => {
      const weft = await integration();
      const notes = weft
        .system('quest')
        .state.slice('notes', { schema: z.object({ text: z.string() }), conflict: 'last-write-wins' });
      await notes.create('ann', { text: 'first' });
      await expect(notes.create('ann', { text: 'second' })).rejects.toMatchObject({ code: 'WEFT_CONFLICT' });
      await notes.set('ann', { text: 'third' }, { expectedVersion: 7 });
      expect(await notes.get('ann')).toEqual({ text: 'third' });
    });

    it('refuses a subscription whose options are wrong at the call, leaving its name free and nothing started', async () => {
      const weft = await integration();
      const crafting = weft.system('crafting');
      const crafted = crafting.events.define({ name: 'item_crafted', durable: true, schema: z.object({}) });
      const quest = weft.system('quest');
      expect(() => quest.events.subscribe(crafted, () => undefined, { timeoutMs: -1 })).toThrow(ConfigError);
      expect(() => quest.events.subscribe(crafted, () => undefined, { reset: 5 as never })).toThrow(/reset/);
      expect(() => quest.events.subscribe(crafted, 5 as never)).toThrow(ConfigError);
      expect(weft.events.wiring().subscriptions).toEqual([]);
      // The corrected call takes the name the refused ones asked for.
      await quest.events.subscribe(crafted, () => undefined)();

      let setUp = 0;
      const refused = defineSystem({
        name: 'tally',
        setup(sys) {
          sys.migrations([
            {
              name: '001_tally',
              up: (db) => db.schema.createTable('tally_counts').addColumn('id', 'text').execute(),
              down: (db) => db.schema.dropTable('tally_counts').execute(),
            },
          ]);
          sys.events.subscribe(crafted, () => undefined, { name: 'first' });
          setUp++;
          sys.events.subscribe(crafted, () => undefined, { name: 'second', timeoutMs: 0 });
        },
      });
      await expect(weft.install(refused)).rejects.toThrow(/timeoutMs/);
      expect(setUp).toBe(1);
      // Refused inside its setup: no migration applied, no subscription of it delivering.
      expect((await weft.migrator().status()).filter((row) => row.part === 'tally')).toEqual([]);
      expect(weft.events.wiring().subscriptions).toEqual([]);
    });

    it('lints commands with the rest of the wiring', async () => {
      const weft = await integration();
      await weft.install(economy());
      expect(weft.checkWiring()).toEqual({ ok: true, problems: [] });
      expect(
        weft.commands
          .list()
          .map((c) => c.name)
          .sort(),
      ).toEqual(['bank.broken', 'bank.open_wallet', 'bank.pay']);
      const handle: SystemHandle<'bank'> = weft.system('bank');
      expect(() => handle.command('pay', { input: z.object({}), output: z.object({}) }, () => ({}))).toThrow(
        ConfigError,
      );
    });
  });
}
