import { sql, type Compilable, type CompiledQuery, type Kysely } from 'kysely';
import { StatementCache, unreadWrite } from '../database/internal.js';
import type { EventEnvelope } from './envelope.js';
import type { EventTables } from './event-tables.js';

/**
 * The events part's hot statements, and the only place where it steps around Kysely's usual
 * build-and-run. Each is built with Kysely once per shape, with stand-in values, and then reused
 * with fresh parameters (StatementCache): on SQLite, building and compiling a small query costs
 * more than running it. The benchmarks that need it: `durable-events` (the append) and
 * `durable-e2e` (the read after a cursor, the inbox claim, the cursor move, once per
 * delivery). `test/events/event-log-queries.unit.spec.ts` pins the SQL each shape compiles to on
 * the SQLite and PostgreSQL compilers, so a Kysely upgrade that changes it fails loudly.
 */

/** Which event types a read takes: every type, one system's (`system.*`), or one type. */
export type PatternKind = 'all' | 'system' | 'type';

/** Stand-in values of an event log row; the real ones come with each run. */
const BLANK_ROW = {
  id: '',
  type: '',
  version: 0,
  source: '',
  time: '',
  partition_key: '',
  correlation_id: '',
  causation_id: '',
  traceparent: '',
  data: '',
};

/** The shapes, as Kysely builds them; each takes parameters in the order its placeholders appear. */
export const eventLogStatements = {
  /** `rows` envelopes appended in one insert; 10 parameters per row (see `appendParameters`). */
  append: (db: Kysely<EventTables>, rows: number): Compilable =>
    db.insertInto('weft_event_log').values(Array.from({ length: rows }, () => BLANK_ROW)),
  /** Events after a sequence number, of a pattern's types, oldest first; `bounded` adds an upper sequence number. */
  readAfter: (db: Kysely<EventTables>, kind: PatternKind, bounded: boolean): Compilable => {
    let built = db.selectFrom('weft_event_log').selectAll().where('seq', '>', 0);
    // The exact prefix: LIKE would read `_` in `auth_user.%` as any character and take `authxuser.login` too.
    if (kind === 'system')
      built = built.where((eb) => eb(eb.fn<string>('substr', [eb.ref('type'), sql.lit(1), eb.val(0)]), '=', ''));
    if (kind === 'type') built = built.where('type', '=', '');
    if (bounded) built = built.where('seq', '<=', 0);
    return built.orderBy('seq').limit(1);
  },
  /**
   * `rows` inbox rows in one insert that skips those there already and returns the ids it inserted: the check and the
   * record in one statement, taken before the handlers run (their transaction rolls the rows back if one fails).
   */
  inboxClaim: (db: Kysely<EventTables>, rows: number): Compilable =>
    db
      .insertInto('weft_event_inbox')
      .values(Array.from({ length: rows }, () => ({ subscription: '', event_id: '', handled_at: '' })))
      .onConflict((oc) => oc.doNothing())
      .returning('event_id'),
  /**
   * Moves a subscription's cursor forward and extends its holder's lease, only while holder and epoch
   * still match (see SubscriptionLease): no row changed means the lease was lost.
   */
  moveCursor: (db: Kysely<EventTables>): Compilable =>
    db
      .updateTable('weft_event_cursors')
      .set({ seq: 0, updated_at: '', lease_until: 0 })
      .where('subscription', '=', '')
      .where('holder', '=', '')
      .where('epoch', '=', 0)
      .where('seq', '<=', 0),
} as const;

/** A fenced cursor move: where to, when, the lease's new end, and the claim it must still be. */
export interface CursorMove {
  readonly subscription: string;
  readonly seq: number;
  readonly updatedAt: string;
  readonly leaseUntil: number;
  readonly holder: string;
  readonly epoch: number;
}

/** The statements with their parameters, each shape compiled once per instance. */
export class EventLogQueries {
  readonly #builder: () => Kysely<EventTables>;
  readonly #cache = new StatementCache();

  /** `builder` gives the Kysely instance the shapes are built with (only its compiler is used). */
  constructor(builder: () => Kysely<EventTables>) {
    this.#builder = builder;
  }

  /** Appends these envelopes (up to what one statement should carry: the caller chunks). */
  append(envelopes: readonly EventEnvelope[]): CompiledQuery {
    const values: unknown[] = [];
    for (const envelope of envelopes) {
      values.push(
        envelope.id,
        envelope.type,
        envelope.version,
        envelope.source,
        envelope.time,
        envelope.partitionKey ?? null,
        envelope.correlationId,
        envelope.causationId ?? null,
        envelope.traceparent ?? null,
        JSON.stringify(envelope.data),
      );
    }
    return this.#cache.get(
      `append:${envelopes.length}`,
      // Nobody reads what the insert returns: on PostgreSQL it goes with the transaction's next statement or COMMIT.
      () => unreadWrite(eventLogStatements.append(this.#builder(), envelopes.length)),
      values,
    );
  }

  /** Up to `limit` events after `seq` (and up to `before`, when given) whose type matches `pattern`, oldest first. */
  readAfter(seq: number, pattern: string, limit: number, before?: number): CompiledQuery {
    const kind: PatternKind = pattern === '*' ? 'all' : pattern.endsWith('.*') ? 'system' : 'type';
    const parameters: unknown[] = [seq];
    if (kind === 'system') {
      const prefix = pattern.slice(0, -1);
      parameters.push([...prefix].length, prefix);
    } else if (kind === 'type') parameters.push(pattern);
    if (before !== undefined) parameters.push(before);
    parameters.push(limit);
    const bounded = before !== undefined;
    return this.#cache.get(
      `read:${kind}:${bounded ? 'bounded' : 'open'}`,
      () => eventLogStatements.readAfter(this.#builder(), kind, bounded),
      parameters,
    );
  }

  /** Records these event ids in the subscription's inbox, skipping those it holds; returns the ids it recorded. */
  inboxClaim(subscription: string, ids: readonly string[], handledAt: string): CompiledQuery {
    const values: unknown[] = [];
    for (const id of ids) values.push(subscription, id, handledAt);
    return this.#cache.get(
      `claim:${ids.length}`,
      () => eventLogStatements.inboxClaim(this.#builder(), ids.length),
      values,
    );
  }

  /** Moves the subscription's cursor to `seq` if `holder` still holds it with `epoch` (else changes no row). */
  moveCursor(move: CursorMove): CompiledQuery {
    const { subscription, seq, updatedAt, leaseUntil, holder, epoch } = move;
    return this.#cache.get('cursor', () => eventLogStatements.moveCursor(this.#builder()), [
      seq,
      updatedAt,
      leaseUntil,
      subscription,
      holder,
      epoch,
      seq,
    ]);
  }
}
