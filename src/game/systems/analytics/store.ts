import { sql } from 'kysely';
import type { Database } from '../../../integration/index.js';
import type { AnalyticsTables } from './tables.js';
import type { Tally } from './tally.js';

/** Gold per source and per sink. */
export interface GoldSides {
  sources: Record<string, number>;
  sinks: Record<string, number>;
}

/** What the summary reads back for a range of hours. */
export interface HourlyRows {
  readonly events: Array<{ hour: string; type: string; system: string; count: number }>;
  readonly actives: Array<{ hour: string; count: number }>;
  /** Distinct characters over the whole range (one character active in two hours counts once). */
  readonly activeOverall: number;
  readonly gold: Array<{ hour: string; side: string; name: string; amount: number }>;
}

/**
 * The hourly tables: a batch's tally is added in one statement per table (insert, or add to the
 * row of that hour and key), in the transaction open around the call: the delivery's, so counts
 * and the inbox commit together and a redelivered event is never counted twice.
 */
export class HourlyStore {
  readonly #db: Database<AnalyticsTables>;

  constructor(db: Database<AnalyticsTables>) {
    this.#db = db;
  }

  /** Adds a tally to the hourly rows. */
  async add(tally: Tally): Promise<void> {
    const db = this.#db.executor();
    if (tally.counts.size > 0) {
      await db
        .insertInto('analytics_event_counts')
        .values([...tally.counts.values()])
        .onConflict((oc) =>
          oc
            .columns(['hour', 'type', 'system'])
            .doUpdateSet((eb) => ({ count: eb('analytics_event_counts.count', '+', eb.ref('excluded.count')) })),
        )
        .execute();
    }
    if (tally.actives.size > 0) {
      await db
        .insertInto('analytics_active_characters')
        .values([...tally.actives.values()].map(({ hour, characterId }) => ({ hour, character_id: characterId })))
        .onConflict((oc) => oc.columns(['hour', 'character_id']).doNothing())
        .execute();
    }
    if (tally.gold.size > 0) {
      await db
        .insertInto('analytics_gold')
        .values([...tally.gold.values()])
        .onConflict((oc) =>
          oc
            .columns(['hour', 'side', 'name'])
            .doUpdateSet((eb) => ({ amount: eb('analytics_gold.amount', '+', eb.ref('excluded.amount')) })),
        )
        .execute();
    }
  }

  /** Removes every row of the hours before `hour`: what keeps the tables bounded. */
  async prune(hour: string): Promise<void> {
    const db = this.#db.executor();
    await db.deleteFrom('analytics_event_counts').where('hour', '<', hour).execute();
    await db.deleteFrom('analytics_active_characters').where('hour', '<', hour).execute();
    await db.deleteFrom('analytics_gold').where('hour', '<', hour).execute();
  }

  /** Removes every row: what a replay of the subscription starts from. */
  async clear(): Promise<void> {
    const db = this.#db.executor();
    await db.deleteFrom('analytics_event_counts').execute();
    await db.deleteFrom('analytics_active_characters').execute();
    await db.deleteFrom('analytics_gold').execute();
  }

  /** The rows of the hours from `from` on. */
  async read(from: string): Promise<HourlyRows> {
    const db = this.#db.executor();
    const events = await db
      .selectFrom('analytics_event_counts')
      .select(['hour', 'type', 'system', sql<string>`cast(count as text)`.as('count')])
      .where('hour', '>=', from)
      .execute();
    const actives = await db
      .selectFrom('analytics_active_characters')
      .select(['hour', sql<string>`cast(count(*) as text)`.as('count')])
      .where('hour', '>=', from)
      .groupBy('hour')
      .execute();
    const overall = await db
      .selectFrom('analytics_active_characters')
      .select(sql<string>`cast(count(distinct character_id) as text)`.as('count'))
      .where('hour', '>=', from)
      .executeTakeFirstOrThrow();
    const gold = await db
      .selectFrom('analytics_gold')
      .select(['hour', 'side', 'name', sql<string>`cast(amount as text)`.as('amount')])
      .where('hour', '>=', from)
      .execute();
    return {
      events: events.map((row) => ({ ...row, count: Number(row.count) })),
      actives: actives.map((row) => ({ hour: row.hour, count: Number(row.count) })),
      activeOverall: Number(overall.count),
      gold: gold.map((row) => ({ ...row, amount: Number(row.amount) })),
    };
  }
}
