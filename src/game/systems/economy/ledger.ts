import { sql, type Generated } from 'kysely';
import {
  ConflictError,
  NotFoundError,
  ValidationError,
  type Database,
  type Migration,
  type StateSlice,
  unreadWrite,
  uuidv7,
  issue,
} from '../../../integration/index.js';
import type { Wallet } from './schemas.js';

/** The ledger's table. */
export interface LedgerTables {
  economy_ledger: {
    seq: Generated<number>;
    movement_id: string;
    account: string;
    /** Stored as a 64-bit integer: PostgreSQL answers it as text. */
    amount: number | string;
    reason: string;
    at: string;
    correlation_id: string | null;
  };
}

/** The ledger: every line of every movement of gold, in order. */
export const ledgerMigrations: readonly Migration[] = [
  {
    name: '001_ledger',
    async up(db, capabilities) {
      await db.schema
        .createTable('economy_ledger')
        .addColumn('seq', 'integer', (c) =>
          capabilities.identityColumns === 'identity'
            ? c.generatedByDefaultAsIdentity().primaryKey()
            : c.primaryKey().autoIncrement(),
        )
        .addColumn('movement_id', 'text', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('amount', 'bigint', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('correlation_id', 'text')
        .execute();
      await db.schema.createIndex('economy_ledger_account').on('economy_ledger').columns(['account', 'seq']).execute();
      await db.schema.createIndex('economy_ledger_movement').on('economy_ledger').column('movement_id').execute();
    },
    async down(db) {
      await db.schema.dropTable('economy_ledger').execute();
    },
  },
];

/** One line of a movement: a signed amount on an account (`wallet:<id>`, `source:<name>`, `sink:<name>`). */
export interface Line {
  readonly account: string;
  readonly amount: number;
}

/** The account of a character's wallet. */
export const walletAccount = (characterId: string): string => `wallet:${characterId}`;

/** The 409 of a movement that takes more gold than a wallet holds. */
function notEnough(characterId: string, needed: number, have: number): ConflictError {
  return new ConflictError(`Not enough gold: ${needed} needed, ${have} held, ${needed - have} missing.`, {
    details: { characterId, needed, have, missing: needed - have },
  });
}

/**
 * Double-entry bookkeeping: a movement of gold is lines that sum to zero, written to the ledger
 * together with the wallets they change, in the transaction open around the call. A wallet never
 * goes below zero (a 409 naming what is missing) nor past 2^53 - 1 (a 422).
 */
export class Ledger {
  readonly #db: Database<LedgerTables>;
  readonly #wallets: StateSlice<Wallet>;

  constructor(db: Database<LedgerTables>, wallets: StateSlice<Wallet>) {
    this.#db = db;
    this.#wallets = wallets;
  }

  /**
   * Applies a movement; returns its id and the wallets' new balances. `amountField` is the field of the command's
   * input the amount came from, named by the issue when a wallet would hold more than it can.
   */
  async move(
    lines: readonly Line[],
    reason: string,
    correlationId: string | undefined,
    amountField = 'gold',
  ): Promise<{ movementId: string; balances: Map<string, number> }> {
    if (lines.reduce((sum, line) => sum + line.amount, 0) !== 0) {
      // A command built its lines wrong: no field of anyone's input is to blame, so the issue is the movement's own.
      throw new ValidationError(`A movement of gold sums to zero; ${reason} does not.`, {
        details: { lines },
        issues: [issue([], 'unbalanced', `the lines of ${reason} do not sum to zero`)],
      });
    }
    const balances = new Map<string, number>();
    // Wallets are locked in one order by every movement (on PostgreSQL each update holds its row to the commit): in
    // the order given, a transfer A->B and one B->A at once would each hold one and wait for the other's, a deadlock
    // (npm run bench -- transfer, weft-full-postgres at alpha 1.5: 7 transfers/s, then timeouts).
    const byAccount = [...lines].sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0));
    const walletLines = byAccount.flatMap((line) =>
      line.account.startsWith('wallet:') ? [{ line, characterId: line.account.slice('wallet:'.length) }] : [],
    );
    // A transfer's two wallets read and locked in one statement, in the same order (npm run bench -- transfer,
    // weft-full-postgres); the updates below then read them from what the transaction holds.
    if (walletLines.length > 1) await this.#wallets.hold(walletLines.map((wallet) => wallet.characterId));
    for (const { line, characterId } of walletLines) {
      // Checked on the value the update holds (locked on PostgreSQL): two spends of the same gold queue here. A missing
      // wallet is found by the same read (upsert hands it over as undefined), so a movement reads each wallet once.
      const updated = await this.#wallets.upsert(characterId, (wallet) => {
        if (wallet === undefined) {
          // A wallet still opening (its character's creation not heard yet) holds no gold: paying from it is the 409 of
          // any wallet short of gold (game.md: a purchase then counts it as 0 gold); crediting it is the 404.
          if (line.amount < 0) throw notEnough(characterId, -line.amount, 0);
          throw new NotFoundError(`Character ${characterId} has no wallet (yet).`, { details: { characterId } });
        }
        const after = wallet.gold + line.amount;
        if (after < 0) throw notEnough(characterId, -line.amount, wallet.gold);
        if (!Number.isSafeInteger(after)) {
          throw new ValidationError(`That would hold more gold than a wallet can (${Number.MAX_SAFE_INTEGER}).`, {
            details: { characterId },
            issues: [
              issue(
                [amountField],
                'too_big',
                `the wallet of ${characterId} would hold more than ${Number.MAX_SAFE_INTEGER} gold`,
              ),
            ],
          });
        }
        return { ...wallet, gold: after };
      });
      balances.set(characterId, updated.value.gold);
    }
    // Time-ordered, so the ledger's index on movements grows at its end instead of on a random page per movement.
    const movementId = uuidv7();
    const at = new Date().toISOString();
    const db = this.#db.executor();
    // Nothing in the movement reads the lines back: on PostgreSQL they go with the transaction's next statement.
    await db.executeQuery(
      unreadWrite(
        db.insertInto('economy_ledger').values(
          lines.map((line) => ({
            movement_id: movementId,
            account: line.account,
            amount: line.amount,
            reason,
            at,
            correlation_id: correlationId ?? null,
          })),
        ),
      ),
    );
    return { movementId, balances };
  }

  /** A page of a wallet's lines, newest first; `next` continues it. */
  async page(characterId: string, limit: number, cursor: string | undefined) {
    let query = this.#db
      .executor()
      .selectFrom('economy_ledger')
      .selectAll()
      .where('account', '=', walletAccount(characterId));
    if (cursor !== undefined) {
      const before = Number(cursor);
      if (!Number.isSafeInteger(before) || before < 1)
        throw new ValidationError('The cursor is not one this route gave.', {
          issues: [
            issue(
              ['cursor'],
              'invalid_cursor',
              'not a cursor this route gave',
              'the next of a page of this ledger',
              JSON.stringify(cursor),
            ),
          ],
        });
      query = query.where('seq', '<', before);
    }
    const rows = await query
      .orderBy('seq', 'desc')
      .limit(limit + 1)
      .execute();
    const lines = rows.slice(0, limit).map((row) => ({
      movementId: row.movement_id,
      account: row.account,
      amount: Number(row.amount),
      reason: row.reason,
      at: row.at,
    }));
    const last = rows[limit - 1];
    return rows.length > limit && last !== undefined ? { lines, next: String(last.seq) } : { lines };
  }

  /**
   * The sum of every account's lines, exact: totals can pass 2^53 (a source pays out for ever), so
   * the database sums them and hands them over as text, read as BigInt.
   */
  async sums(): Promise<Map<string, bigint>> {
    const rows = await this.#db
      .executor()
      .selectFrom('economy_ledger')
      .select((eb) => ['account', sql<string>`cast(${eb.fn.sum('amount')} as text)`.as('total')])
      .groupBy('account')
      .execute();
    return new Map(rows.map((row) => [row.account, BigInt(row.total)]));
  }

  /**
   * Gold moved per hour since `from` (an ISO time), by account kind: each source and sink by name, and
   * every wallet together (`wallet:`); plus the wallets' total before `from`, the supply the hours start
   * from. Summed by the database, hour by hour (the first 13 characters of the ISO time), exact as text.
   */
  async hourly(
    from: string,
  ): Promise<{ before: bigint; hours: Array<{ hour: string; account: string; total: bigint }> }> {
    const executor = this.#db.executor();
    const kind = sql<string>`case when account like 'wallet:%' then 'wallet:' else account end`;
    const hour = sql<string>`substr(at, 1, 13)`;
    const [before, rows] = await Promise.all([
      executor
        .selectFrom('economy_ledger')
        .select((eb) => sql<string | null>`cast(${eb.fn.sum('amount')} as text)`.as('total'))
        .where('account', 'like', 'wallet:%')
        .where('at', '<', from)
        .executeTakeFirst(),
      executor
        .selectFrom('economy_ledger')
        .select((eb) => [
          hour.as('hour'),
          kind.as('account'),
          sql<string>`cast(${eb.fn.sum('amount')} as text)`.as('total'),
        ])
        .where('at', '>=', from)
        .groupBy([hour, kind])
        .orderBy(hour)
        .execute(),
    ]);
    return {
      before: BigInt(before?.total ?? 0),
      hours: rows.map((row) => ({ hour: row.hour, account: row.account, total: BigInt(row.total) })),
    };
  }
}
