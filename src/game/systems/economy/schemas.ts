import { z } from 'zod';

/** An amount of gold: a safe positive integer (zero, negative, fractional, or past 2^53 is a 422). */
export const Gold = z.int().min(1).max(Number.MAX_SAFE_INTEGER);

/** Where gold may come from: it enters the game only through these. */
export const SOURCES = ['starting_gold', 'loot', 'quest_reward', 'selling'] as const;
/** Where gold may go: it leaves the game only through these. */
export const SINKS = ['crafting_fee', 'buying'] as const;
export type Source = (typeof SOURCES)[number];
export type Sink = (typeof SINKS)[number];

export const Wallet = z.strictObject({
  characterId: z.string(),
  ownerId: z.string(),
  gold: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
});
export type Wallet = z.infer<typeof Wallet>;

/** One line of the ledger: a signed amount on one account. The lines of one movement sum to zero. */
export const LedgerLine = z.strictObject({
  movementId: z.string(),
  account: z.string(),
  amount: z.int(),
  reason: z.string(),
  at: z.string(),
});

const CharacterId = z.string().min(1).max(64);
const ItemId = z.string().regex(/^[a-z][a-z0-9_]*$/);
export const WalletRef = z.strictObject({ characterId: CharacterId });
export const OpenInput = z.strictObject({
  characterId: CharacterId,
  ownerId: z.string().min(1),
  startingGold: z.int().min(0).max(1_000_000),
});
export const CreditInput = z.strictObject({ characterId: CharacterId, gold: Gold, source: z.enum(SOURCES) });
export const DebitInput = z.strictObject({ characterId: CharacterId, gold: Gold, sink: z.enum(SINKS) });
export const TransferInput = z.strictObject({ fromCharacterId: CharacterId, toCharacterId: CharacterId, gold: Gold });
export const TradeInput = z.strictObject({
  characterId: CharacterId,
  itemId: ItemId,
  quantity: z.int().min(1).max(10_000),
});
export const LedgerInput = z.strictObject({
  characterId: CharacterId,
  limit: z.int().min(1).max(200).default(50),
  /** The `next` cursor of the previous page. */
  cursor: z.string().max(200).optional(),
});

export const WalletView = z.union([
  z.strictObject({ status: z.literal('open'), characterId: z.string(), gold: z.int() }),
  z.strictObject({ status: z.literal('opening'), characterId: z.string() }),
]);
export const Balance = z.strictObject({ characterId: z.string(), gold: z.int() });
/** The id of the ledger movement a transfer or a trade made: every one makes one, so it is never empty. */
const MovementId = z.string().min(1);
export const TransferResult = z.strictObject({ movementId: MovementId, from: Balance, to: Balance });
export const TradeResult = z.strictObject({
  movementId: MovementId,
  gold: z.int(),
  total: z.int(),
  itemId: z.string(),
  quantity: z.int(),
});
export const LedgerPage = z.strictObject({ lines: z.array(LedgerLine), next: z.string().optional() });
export const EconomySummary = z.strictObject({
  supply: z.int(),
  wallets: z.int(),
  sources: z.record(z.string(), z.int()),
  sinks: z.record(z.string(), z.int()),
});
export const Audit = z.strictObject({
  balanced: z.boolean(),
  wallets: z.int(),
  /** The ledger's lines sum to zero over every account. */
  ledgerSum: z.int(),
  mismatches: z.array(z.strictObject({ characterId: z.string(), wallet: z.int(), ledger: z.int() })),
});

/** Published for each movement of gold. */
export const GoldMoved = z.strictObject({
  movementId: z.string(),
  reason: z.string(),
  lines: z.array(z.strictObject({ account: z.string(), amount: z.int() })),
});

export const HistoryInput = z.strictObject({ hours: z.int().min(1).max(168).default(24) });
/** Gold over time: per hour, the supply at its end and what each source brought in and each sink took out. */
export const EconomyHistory = z.strictObject({
  /** ISO start of the first hour. */
  from: z.string(),
  /** ISO end of the last hour (the current one, still running). */
  to: z.string(),
  hours: z.array(
    z.strictObject({
      /** ISO start of the hour. */
      hour: z.string(),
      /** Gold held in every wallet at the end of the hour (now, for the current one). */
      supply: z.int(),
      sources: z.record(z.string(), z.int()),
      sinks: z.record(z.string(), z.int()),
    }),
  ),
});
