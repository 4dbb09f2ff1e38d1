import { z } from 'zod';
import {
  NotFoundError,
  ValidationError,
  defineSystem,
  type Actor,
  type SystemDefinition,
  issue,
} from '../../../integration/index.js';
import { contentOf } from '../../shared/content.js';
import { auditWallets } from './audit.js';
import { economyHistory } from './history.js';
import { Ledger, ledgerMigrations, walletAccount, type LedgerTables } from './ledger.js';
import {
  Audit,
  Balance,
  CreditInput,
  DebitInput,
  EconomyHistory,
  EconomySummary,
  GoldMoved,
  HistoryInput,
  LedgerInput,
  LedgerPage,
  OpenInput,
  SINKS,
  SOURCES,
  TradeInput,
  TradeResult,
  TransferInput,
  TransferResult,
  Wallet,
  WalletRef,
  WalletView,
} from './schemas.js';

const prices = contentOf('market', z.object({ itemId: z.string(), buy: z.int(), sell: z.int() }));

/** What this system hears, read with its own view of the fields it uses. */
const CharacterCreated = z.object({ characterId: z.string(), ownerId: z.string(), startingGold: z.int().min(0) });
const EncounterResolved = z.object({ characterId: z.string(), gold: z.int().min(0) });
/**
 * Twelve attempts, each wait drawn up to 0.1, 0.2, 0.4 ... then 5 s: about 18 s in all on average (36 s at most), past
 * a subscription's lease handed over to another process at the default `leaseMs` (5 s); the default policy gives up
 * after about 0.8 s. Both of the economy's subscriptions take it: a wallet that failed to open for good would hold
 * every fight's gold behind its character's for that long, so opening it gets the same patience.
 */
const WALLET_RETRY = { maxAttempts: 12, baseDelayMs: 100, maxDelayMs: 5_000 } as const;

declare module '../../../integration/index.js' {
  interface WeftCommands {
    'economy.open_wallet': { input: z.input<typeof OpenInput>; output: z.infer<typeof Balance> };
    'economy.wallet': { input: { characterId: string }; output: z.infer<typeof WalletView> };
    'economy.credit': { input: z.input<typeof CreditInput>; output: z.infer<typeof Balance> };
    'economy.debit': { input: z.input<typeof DebitInput>; output: z.infer<typeof Balance> };
    'economy.transfer': { input: z.input<typeof TransferInput>; output: z.infer<typeof TransferResult> };
    'economy.buy': { input: z.input<typeof TradeInput>; output: z.infer<typeof TradeResult> };
    'economy.sell': { input: z.input<typeof TradeInput>; output: z.infer<typeof TradeResult> };
    'economy.ledger': { input: z.input<typeof LedgerInput>; output: z.infer<typeof LedgerPage> };
    'economy.summary': { input: Record<string, never>; output: z.infer<typeof EconomySummary> };
    'economy.audit': { input: Record<string, never>; output: z.infer<typeof Audit> };
    'economy.history': { input: z.input<typeof HistoryInput>; output: z.infer<typeof EconomyHistory> };
  }
  interface WeftEvents {
    'economy.gold_moved': z.infer<typeof GoldMoved>;
  }
}

/**
 * The economy system: a wallet per character (opened with the class's starting gold when
 * `character.created` arrives), a double-entry ledger where every movement sums to zero, gold
 * entering only from named sources and leaving through named sinks, transfers between characters,
 * the market (buy and sell at content prices), and the audit that recomputes every wallet.
 */
export function economySystem(): SystemDefinition<'economy'> {
  return defineSystem({
    name: 'economy',
    setup(sys) {
      sys.migrations(ledgerMigrations);
      const wallets = sys.state.slice('wallets', {
        schema: Wallet,
        invariants: { 'never negative': (w) => w.gold >= 0 },
        // A wallet is the sum of its ledger lines, which a state rollback would not undo: the audit would break.
        rollback: false,
      });
      const ledger = new Ledger(sys.database<LedgerTables>(), wallets);
      const goldMoved = sys.events.define({ name: 'gold_moved', durable: true, schema: GoldMoved });

      /** Moves gold and says so; `amountField` is the input field a wallet's overflow is blamed on. */
      async function move(
        lines: Array<{ account: string; amount: number }>,
        reason: string,
        correlationId: string,
        amountField = 'gold',
      ) {
        const moved = await ledger.move(lines, reason, correlationId, amountField);
        await sys.events.publish(goldMoved, { movementId: moved.movementId, reason, lines });
        return moved;
      }

      /** The character, when the caller may act on it (the character system answers 404 otherwise). */
      const character = (characterId: string) => sys.execute('character.get', { characterId });

      sys.command(
        'open_wallet',
        { input: OpenInput, output: Balance },
        async ({ characterId, ownerId, startingGold }, { correlationId }) => {
          const existing = await wallets.get(characterId);
          if (existing !== undefined) return { characterId, gold: existing.gold };
          await wallets.create(characterId, { characterId, ownerId, gold: 0 });
          if (startingGold === 0) return { characterId, gold: 0 };
          const moved = await move(
            [
              { account: 'source:starting_gold', amount: -startingGold },
              { account: walletAccount(characterId), amount: startingGold },
            ],
            'starting_gold',
            correlationId,
            'startingGold',
          );
          return { characterId, gold: moved.balances.get(characterId) ?? startingGold };
        },
      );

      sys.command(
        'wallet',
        { input: WalletRef, output: WalletView, readOnly: true, description: 'A character’s gold.' },
        async ({ characterId }) => {
          await character(characterId);
          const wallet = await wallets.get(characterId);
          // The wallet is opened by the event that the character's creation published: for a moment it may not be there
          // yet.
          return wallet === undefined
            ? { status: 'opening' as const, characterId }
            : { status: 'open' as const, characterId, gold: wallet.gold };
        },
      );

      /**
       * Refuses, as a wallet that does not exist (404), a credit or debit of a wallet the caller may not act on: these
       * commands run as their caller, like every other, so another player's wallet answers as no wallet.
       */
      async function mayMove(actor: Actor, characterId: string): Promise<void> {
        if (actor.kind === 'system' || (actor.roles ?? []).includes('admin')) return;
        const wallet = await wallets.get(characterId);
        if (wallet !== undefined && wallet.ownerId !== actor.id)
          throw new NotFoundError(`Character ${characterId} has no wallet (yet).`, { details: { characterId } });
      }

      sys.command(
        'credit',
        { input: CreditInput, output: Balance },
        async ({ characterId, gold, source }, { correlationId, actor }) => {
          await mayMove(actor, characterId);
          const moved = await move(
            [
              { account: `source:${source}`, amount: -gold },
              { account: walletAccount(characterId), amount: gold },
            ],
            source,
            correlationId,
          );
          return { characterId, gold: moved.balances.get(characterId) ?? 0 };
        },
      );

      sys.command(
        'debit',
        { input: DebitInput, output: Balance },
        async ({ characterId, gold, sink }, { correlationId, actor }) => {
          await mayMove(actor, characterId);
          const moved = await move(
            [
              { account: walletAccount(characterId), amount: -gold },
              { account: `sink:${sink}`, amount: gold },
            ],
            sink,
            correlationId,
          );
          return { characterId, gold: moved.balances.get(characterId) ?? 0 };
        },
      );

      sys.command(
        'transfer',
        { input: TransferInput, output: TransferResult, idempotent: true, description: 'Gives gold to any character.' },
        async ({ fromCharacterId, toCharacterId, gold }, { correlationId }) => {
          if (fromCharacterId === toCharacterId) {
            throw new ValidationError('A transfer goes to another character.', {
              issues: [
                issue(
                  ['toCharacterId'],
                  'same_character',
                  'a transfer goes to another character',
                  'a character other than the giver',
                  JSON.stringify(toCharacterId),
                ),
              ],
            });
          }
          await character(fromCharacterId);
          // A receiver without a wallet is a 404 from the ledger's own read of it.
          const moved = await move(
            [
              { account: walletAccount(fromCharacterId), amount: -gold },
              { account: walletAccount(toCharacterId), amount: gold },
            ],
            'transfer',
            correlationId,
          );
          return {
            movementId: moved.movementId,
            from: { characterId: fromCharacterId, gold: moved.balances.get(fromCharacterId) ?? 0 },
            to: { characterId: toCharacterId, gold: moved.balances.get(toCharacterId) ?? 0 },
          };
        },
      );

      async function priceOf(itemId: string) {
        const price = (await prices(sys.execute)).find((p) => p.itemId === itemId);
        if (price === undefined)
          throw new NotFoundError(`The market does not trade ${itemId}.`, { details: { itemId } });
        return price;
      }

      sys.command(
        'buy',
        { input: TradeInput, output: TradeResult, idempotent: true, description: 'Buys items at the market price.' },
        async ({ characterId, itemId, quantity }, { correlationId }) => {
          await character(characterId);
          const total = (await priceOf(itemId)).buy * quantity;
          if (!Number.isSafeInteger(total)) {
            throw new ValidationError('That costs more gold than there can be.', {
              issues: [issue(['quantity'], 'too_big', 'that many cost more gold than there can be')],
            });
          }
          // The character's items before its wallet, as a sale and a craft take them: one player buying while selling
          // or crafting then locks the two rows in one order on PostgreSQL. In the other order (wallet, then items) 20
          // buys and sells of one character at once deadlocked 216 times and took 20 s a round (npm test's
          // test/game/market-races.*). A buy that cannot be paid rolls the items back with it.
          await sys.execute('character.give_items', {
            characterId,
            items: [{ itemId, count: quantity }],
            reason: 'market',
          });
          const moved = await move(
            [
              { account: walletAccount(characterId), amount: -total },
              { account: 'sink:buying', amount: total },
            ],
            'buying',
            correlationId,
          );
          return { movementId: moved.movementId, gold: moved.balances.get(characterId) ?? 0, total, itemId, quantity };
        },
      );

      sys.command(
        'sell',
        { input: TradeInput, output: TradeResult, idempotent: true, description: 'Sells items at the market price.' },
        async ({ characterId, itemId, quantity }, { correlationId }) => {
          await character(characterId);
          const { sell } = await priceOf(itemId);
          // The market sells some items (wood) but pays nothing for them: refused before anything is taken, so that a
          // sale is always a movement of gold and items never vanish for nothing.
          if (sell === 0) {
            throw new NotFoundError(`The market does not buy ${itemId}: it pays nothing for it.`, {
              details: { itemId },
            });
          }
          const total = sell * quantity;
          await sys.execute('character.take_items', {
            characterId,
            items: [{ itemId, count: quantity }],
            reason: 'market',
          });
          const moved = await move(
            [
              { account: 'source:selling', amount: -total },
              { account: walletAccount(characterId), amount: total },
            ],
            'selling',
            correlationId,
            'quantity',
          );
          return { movementId: moved.movementId, gold: moved.balances.get(characterId) ?? 0, total, itemId, quantity };
        },
      );

      sys.command(
        'ledger',
        {
          input: LedgerInput,
          output: LedgerPage,
          readOnly: true,
          description: 'A character’s ledger lines, newest first.',
        },
        async ({ characterId, limit, cursor }) => {
          await character(characterId);
          return ledger.page(characterId, limit, cursor);
        },
      );

      sys.command(
        'summary',
        {
          input: z.strictObject({}),
          output: EconomySummary,
          readOnly: true,
          description: 'Supply, sources and sinks.',
        },
        async () => {
          const sums = await ledger.sums();
          const of = (prefix: string, names: readonly string[], sign: bigint) =>
            Object.fromEntries(names.map((name) => [name, Number(sign * (sums.get(`${prefix}${name}`) ?? 0n))]));
          let supply = 0n;
          let count = 0;
          for (const [account, total] of sums) {
            if (!account.startsWith('wallet:')) continue;
            supply += total;
            count++;
          }
          return {
            supply: Number(supply),
            wallets: count,
            sources: of('source:', SOURCES, -1n),
            sinks: of('sink:', SINKS, 1n),
          };
        },
      );

      sys.command(
        'audit',
        {
          input: z.strictObject({}),
          output: Audit,
          readOnly: true,
          description: 'Recomputes every wallet from the ledger.',
        },
        () => auditWallets(ledger, wallets),
      );

      sys.command(
        'history',
        {
          input: HistoryInput,
          output: EconomyHistory,
          readOnly: true,
          description: 'Supply, sources and sinks per hour.',
        },
        ({ hours }) => economyHistory(ledger, hours, Date.now()),
      );

      // A new character's wallet, with its class's starting gold.
      sys.events.subscribe(
        'character.created',
        async (event) => {
          const created = CharacterCreated.parse(event.data);
          await sys.execute('economy.open_wallet', created);
        },
        { retry: WALLET_RETRY },
      );
      // Gold a won fight dropped. The wallet it goes to is opened by the subscription above, which may be behind this
      // one (its holder died and another process waits out the lease, 5 s): crediting a wallet not open yet is a 404,
      // so this one retries for longer (WALLET_RETRY) before the gold becomes a dead letter. Deliveries keep the log's
      // order, so meanwhile later fights' gold waits too.
      sys.events.subscribe(
        'combat.encounter_resolved',
        async (event) => {
          const resolved = EncounterResolved.parse(event.data);
          if (resolved.gold > 0)
            await sys.execute('economy.credit', {
              characterId: resolved.characterId,
              gold: resolved.gold,
              source: 'loot',
            });
        },
        { retry: WALLET_RETRY },
      );
    },
  });
}
