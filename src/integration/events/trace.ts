import type { Selectable } from 'kysely';
import type { Database } from '../database/internal.js';
import type { EventTables } from './event-tables.js';

/**
 * What became of one event at one durable subscription: its effects committed (`handled`), given up
 * on (`dead-lettered`), passed over by the subscription's filter (`skipped`), or not reached yet (`pending`).
 */
export type HandlerOutcome = 'handled' | 'pending' | 'dead-lettered' | 'skipped';

/** One event of a correlation, what its durable subscriptions made of it, and the events it caused. */
export interface TracedEvent {
  readonly id: string;
  readonly seq: number;
  readonly type: string;
  /** The system that published it. */
  readonly source: string;
  readonly time: string;
  /** The event (or request) that caused it; a root's cause is outside the log (the request). */
  readonly causationId?: string | undefined;
  readonly data: unknown;
  readonly handlers: ReadonlyArray<{ readonly subscription: string; readonly outcome: HandlerOutcome }>;
  readonly caused: TracedEvent[];
}

/** The events of one correlation as a causal tree, roots first, each level in log order. */
export interface EventTrace {
  readonly events: TracedEvent[];
  /** How many events the tree holds. */
  readonly count: number;
  /** True when the correlation has more events than the limit: the tree holds the oldest ones. */
  readonly truncated: boolean;
}

/** Options of `readEventTrace`. */
export interface EventTraceOptions {
  /** The most events read (default 1000): one action's events, not a runaway loop's. */
  readonly limit?: number;
  /** The durable subscriptions that take events of a type (`EventBus.durableSubscriptionsOf`); none: no outcomes. */
  readonly subscriptionsOf?: (type: string) => readonly string[];
}

type Row = Pick<Selectable<EventTables['weft_event_log']>, 'seq' | 'id' | 'type' | 'source' | 'time' | 'data'> & {
  causation_id: string | null;
};

/** Ids per statement in an `in (...)` list: well under SQLite's and PostgreSQL's parameter limits. */
const CHUNK = 500;

/**
 * The events of one correlation id (`x-request-id` of the request that started it) as a causal
 * tree, with each durable subscription's outcome per event. Reads by the log's correlation index,
 * the inbox by its key (subscription, event id), the cursors, and the dead letters of those events.
 * @example
 * const takers = (type: string) => weft.events.durableSubscriptionsOf(type)
 * const trace = await readEventTrace(weft.db, requestId, { subscriptionsOf: takers })
 */
export async function readEventTrace(
  database: Pick<Database<unknown>, 'withTables' | 'flushPending'>,
  correlationId: string,
  options: EventTraceOptions = {},
): Promise<EventTrace> {
  const limit = options.limit ?? 1000;
  const db = database.withTables<EventTables>();
  await db.flushPending();
  const rows: Row[] = await db
    .executor()
    .selectFrom('weft_event_log')
    .select(['seq', 'id', 'type', 'source', 'time', 'causation_id', 'data'])
    .where('correlation_id', '=', correlationId)
    .orderBy('seq')
    .limit(limit + 1)
    .execute();
  const truncated = rows.length > limit;
  const kept = truncated ? rows.slice(0, limit) : rows;
  const takers = new Map(kept.map((row) => [row.id, options.subscriptionsOf?.(row.type) ?? []]));
  const outcomes = await readOutcomes(db, kept, takers);
  const nodes = new Map<string, TracedEvent>();
  const roots: TracedEvent[] = [];
  for (const row of kept) {
    const node: TracedEvent = {
      id: row.id,
      seq: Number(row.seq),
      type: row.type,
      source: row.source,
      time: row.time,
      causationId: row.causation_id ?? undefined,
      data: JSON.parse(row.data) as unknown,
      handlers: (takers.get(row.id) ?? []).map((subscription) => ({
        subscription,
        outcome: outcomes(subscription, row.id, Number(row.seq)),
      })),
      caused: [],
    };
    nodes.set(row.id, node);
    // Log order puts a cause before its effects, so the parent, when traced, is already there.
    const parent = row.causation_id === null ? undefined : nodes.get(row.causation_id);
    (parent?.caused ?? roots).push(node);
  }
  return { events: roots, count: kept.length, truncated };
}

/** A lookup of each (subscription, event) outcome, read in a few statements for the whole trace. */
async function readOutcomes(
  db: Database<EventTables>,
  rows: readonly Row[],
  takers: ReadonlyMap<string, readonly string[]>,
): Promise<(subscription: string, eventId: string, seq: number) => HandlerOutcome> {
  const idsBySubscription = new Map<string, string[]>();
  for (const row of rows) {
    for (const subscription of takers.get(row.id) ?? []) {
      const ids = idsBySubscription.get(subscription) ?? [];
      ids.push(row.id);
      idsBySubscription.set(subscription, ids);
    }
  }
  const handled = new Set<string>();
  const dead = new Set<string>();
  const cursors = new Map<string, number>();
  const key = (subscription: string, eventId: string) => `${subscription}\u0000${eventId}`;
  const executor = db.executor();
  for (const [subscription, ids] of idsBySubscription) {
    for (let start = 0; start < ids.length; start += CHUNK) {
      const chunk = ids.slice(start, start + CHUNK);
      // The inbox is read by its key (subscription, event id); dead letters are few by design.
      for (const [table, found] of [
        ['weft_event_inbox', handled],
        ['weft_dead_letters', dead],
      ] as const) {
        const held = await executor
          .selectFrom(table)
          .select('event_id')
          .where('subscription', '=', subscription)
          .where('event_id', 'in', chunk)
          .execute();
        for (const row of held) found.add(key(subscription, row.event_id));
      }
    }
  }
  if (idsBySubscription.size > 0) {
    const rowsOfCursors = await executor
      .selectFrom('weft_event_cursors')
      .select(['subscription', 'seq'])
      .where('subscription', 'in', [...idsBySubscription.keys()])
      .execute();
    for (const row of rowsOfCursors) cursors.set(row.subscription, Number(row.seq));
  }
  return (subscription, eventId, seq) => {
    if (dead.has(key(subscription, eventId))) return 'dead-lettered';
    if (handled.has(key(subscription, eventId))) return 'handled';
    // Past the cursor without an inbox row: the subscription's filter passed over it.
    return (cursors.get(subscription) ?? 0) >= seq ? 'skipped' : 'pending';
  };
}
