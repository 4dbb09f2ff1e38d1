import { sql, type Expression, type ExpressionBuilder, type RawBuilder, type SqlBool } from 'kysely';
import type { Database } from '../database/internal.js';
import type { EventTables } from './event-tables.js';

/** What `bus.backlog` counts: events of these types, and per partition-key prefix. */
export interface BacklogQuery {
  /** Event types counted (exact types). */
  readonly types: readonly string[];
  /** Partition-key prefixes to count by (`economy:`), in characters. */
  readonly prefixes?: readonly string[];
}

/** A durable subscription's events of the asked types that it has not handled yet. */
export interface SubscriptionBacklog {
  readonly subscription: string;
  readonly undelivered: number;
}

/** Events of the asked types whose partition key starts with `prefix`. */
export interface PrefixBacklog {
  readonly prefix: string;
  /** Not handled yet by some durable subscription of this bus that takes its type. */
  readonly undelivered: number;
  /** In the dead-letter table, whatever the subscription. */
  readonly deadLetters: number;
}

/** What `bus.backlog` found. */
export interface EventBacklog {
  /** Each durable subscription of this bus that takes any of the types, in subscription order. */
  readonly subscriptions: readonly SubscriptionBacklog[];
  /** Each asked prefix, in the order asked. */
  readonly prefixes: readonly PrefixBacklog[];
}

/** A durable subscription, with the asked types its pattern takes (at least one). */
export interface BacklogTaker {
  readonly name: string;
  readonly types: readonly string[];
}

type Counts = Record<string, string | number | bigint | null>;
/** A cursor and a log row, side by side. */
type CursorAndEvent = { c: EventTables['weft_event_cursors']; l: EventTables['weft_event_log'] };

/** Whether cursor `c` belongs to a subscription that takes the type of event `l`. */
function takes(eb: ExpressionBuilder<CursorAndEvent, 'c' | 'l'>, takers: readonly BacklogTaker[]): Expression<SqlBool> {
  return eb.or(takers.map((taker) => eb.and([eb('c.subscription', '=', taker.name), eb('l.type', 'in', taker.types)])));
}

/**
 * Counts in SQL, in at most three statements whatever the number of subscriptions, prefixes or
 * events: undelivered per subscription (its cursor joined to the log); undelivered per prefix (the
 * events past the slowest cursor that some subscription taking their type has not reached); dead
 * letters per prefix (joined to the log by `event_seq` for the partition key). No row is loaded
 * into memory.
 */
export async function readBacklog(
  db: Database<EventTables>,
  takers: readonly BacklogTaker[],
  query: BacklogQuery,
): Promise<EventBacklog> {
  const prefixes = query.prefixes ?? [];
  const names = takers.map((taker) => taker.name);
  const taken = [...new Set(takers.flatMap((taker) => taker.types))];
  const executor = db.executor();
  const perSubscription = new Map<string, number>();
  if (takers.length > 0) {
    const rows = await executor
      .selectFrom('weft_event_cursors as c')
      .leftJoin('weft_event_log as l', (join) => join.onRef('l.seq', '>', 'c.seq').on((eb) => takes(eb, takers)))
      .select((eb) => ['c.subscription', eb.fn.count('l.seq').as('undelivered')])
      .where('c.subscription', 'in', names)
      .groupBy('c.subscription')
      .execute();
    for (const row of rows) perSubscription.set(row.subscription, Number(row.undelivered));
  }
  let undelivered: Counts = {};
  if (takers.length > 0 && prefixes.length > 0) {
    undelivered =
      (await executor
        .selectFrom('weft_event_log as l')
        .select(prefixes.map((prefix, index) => countWhereKeyStarts(prefix).as(`p${index}`)))
        .where('l.type', 'in', taken)
        // The slowest cursor bounds the rows read (the log's seq index); the subscriptions' own cursors and types
        // decide.
        .where('l.seq', '>', (eb) =>
          eb
            .selectFrom('weft_event_cursors')
            .select((inner) => inner.fn.min('seq').as('seq'))
            .where('subscription', 'in', names),
        )
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom('weft_event_cursors as c')
              .select(sql.lit(1).as('one'))
              .whereRef('c.seq', '<', 'l.seq')
              .where((inner) => takes(inner, takers)),
          ),
        )
        .executeTakeFirst()) ?? {};
  }
  let deadLetters: Counts = {};
  if (prefixes.length > 0 && query.types.length > 0) {
    deadLetters =
      (await executor
        .selectFrom('weft_dead_letters as d')
        .innerJoin('weft_event_log as l', 'l.seq', 'd.event_seq')
        .select(prefixes.map((prefix, index) => countWhereKeyStarts(prefix).as(`p${index}`)))
        .where('d.type', 'in', query.types)
        .executeTakeFirst()) ?? {};
  }
  return {
    subscriptions: takers.map((taker) => ({
      subscription: taker.name,
      undelivered: perSubscription.get(taker.name) ?? 0,
    })),
    prefixes: prefixes.map((prefix, index) => ({
      prefix,
      undelivered: Number(undelivered[`p${index}`] ?? 0),
      deadLetters: Number(deadLetters[`p${index}`] ?? 0),
    })),
  };
}

/**
 * `count(*) filter (where substr(l.partition_key, 1, n) = prefix)`: n in characters, as substr counts on both backends.
 */
function countWhereKeyStarts(prefix: string): RawBuilder<number | string | bigint> {
  return sql`count(*) filter (where substr(${sql.ref('l.partition_key')}, 1, ${[...prefix].length}) = ${prefix})`;
}
