import type { Selectable } from 'kysely';
import type { Database } from '../database/internal.js';
import { UsageError } from '../errors/internal.js';
import type { EventEnvelope, LoggedEvent } from './envelope.js';
import { EventLogQueries } from './event-log-queries.js';
import type { EventTables } from './event-tables.js';

const LOCK = 'weft_event_log';
/** The owner of the note, kept for each transaction by every EventLog, that it holds the log's lock shared. */
const LOCK_HELD = {};
/**
 * Rows per multi-row insert: 1,280 parameters, well under SQLite's and PostgreSQL's limits. One insert for a
 * transaction of 100 events (`npm run bench -- distributed` publishes such transactions), two at 64.
 */
const CHUNK = 128;

/** The durable event log: the outbox that publishing appends to and subscriptions read in order. */
export class EventLog {
  readonly #db: Database<EventTables>;
  readonly #queries: EventLogQueries;

  constructor(db: Pick<Database<unknown>, 'withTables'>) {
    this.#db = db.withTables<EventTables>();
    this.#queries = new EventLogQueries(() => this.#db.executor());
  }

  /**
   * Appends in the caller's transaction (or in one statement of its own outside one). Inside a
   * transaction the rows are held in memory and written in multi-row inserts (every 128 events,
   * and before the transaction commits): one statement for a transaction's events, those of the
   * savepoints inside it included.
   * On PostgreSQL, where transactions commit out of sequence order, the write takes the log's lock
   * shared, held to commit: publishers commit side by side, and `horizon` (which takes it exclusive)
   * knows when none is between taking a sequence number and committing.
   */
  async append(envelope: EventEnvelope): Promise<void> {
    const buffer = this.#db.pending(this, this.#insertHeld);
    if (buffer === undefined) return this.#insert([envelope]);
    buffer.push(envelope);
    if (buffer.length >= CHUNK) await this.#db.flushPending();
  }

  readonly #insertHeld = (held: EventEnvelope[]): Promise<void> => this.#insert(held);

  /**
   * Writes envelopes in order, in multi-row inserts of up to 128 rows: one round trip for a transaction's events (each
   * statement shape compiled once).
   */
  async #insert(envelopes: readonly EventEnvelope[]): Promise<void> {
    if (envelopes.length === 0) return;
    // A backend with one writer at a time (SQLite) commits in sequence order already.
    if (this.#db.capabilities.concurrentWriters) await this.#lockShared();
    if (envelopes.length <= CHUNK) {
      await this.#db.execute(this.#queries.append(envelopes));
      return;
    }
    for (let start = 0; start < envelopes.length; start += CHUNK)
      await this.#db.execute(this.#queries.append(envelopes.slice(start, start + CHUNK)));
  }

  /**
   * Takes the log's lock shared, once per transaction: it is held to commit, so a transaction writing several chunks
   * takes it with its first (a savepoint's rollback may release it, and empties the note, so it is taken again).
   */
  async #lockShared(): Promise<void> {
    const held = this.#db.transactionCache<string, true>(LOCK_HELD);
    if (held?.has(LOCK) === true) return;
    await this.#db.lockInTransaction(LOCK, { shared: true });
    held?.set(LOCK, true);
  }

  /** Events after `seq` whose type matches `pattern` (exact, `system.*` or `*`), oldest first. */
  async readAfter(seq: number, pattern: string, limit: number, before?: number): Promise<LoggedEvent[]> {
    await this.#db.flushPending();
    const { rows } = await this.#db
      .executor()
      .executeQuery<Selectable<EventTables['weft_event_log']>>(this.#queries.readAfter(seq, pattern, limit, before));
    return rows.map(toLogged);
  }

  /** The highest sequence number, 0 for an empty log. */
  async lastSeq(): Promise<number> {
    await this.#db.flushPending();
    const row = await this.#db
      .executor()
      .selectFrom('weft_event_log')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  /**
   * The sequence number at and below which the log is final: every event there is committed, and none will appear
   * (a rolled-back one leaves a gap for good). Readers that move a position past what they read (subscriptions, the
   * relay, the event stream) read up to it, never past: above it, on PostgreSQL, a lower number may still commit after
   * a higher one. On SQLite, one writer at a time, it is the last sequence number; on PostgreSQL it is read holding the
   * log's lock exclusive, which waits for the publishing transactions between their insert and their commit (about
   * one commit's time) and holds new ones off meanwhile. Refused inside a transaction, which may be such a publisher.
   */
  async horizon(): Promise<number> {
    if (!this.#db.capabilities.concurrentWriters) return this.lastSeq();
    if (this.#db.inTransaction()) {
      throw new UsageError('EventLog.horizon() waits for publishing transactions; call it outside a transaction.');
    }
    return this.#db.transaction(
      async (tx) => {
        await this.#db.lockInTransaction(LOCK);
        const row = await tx
          .selectFrom('weft_event_log')
          .select((eb) => eb.fn.max('seq').as('seq'))
          .executeTakeFirst();
        return Number(row?.seq ?? 0);
      },
      { readOnly: true },
    );
  }

  /** Every event of one correlation, as a causal tree: roots first, each with the events it caused. */
  async trace(correlationId: string): Promise<CausalNode[]> {
    await this.#db.flushPending();
    const rows = await this.#db
      .executor()
      .selectFrom('weft_event_log')
      .selectAll()
      .where('correlation_id', '=', correlationId)
      .orderBy('seq')
      .execute();
    const nodes = new Map(rows.map((row) => [row.id, { event: toLogged(row).envelope, caused: [] as CausalNode[] }]));
    const roots: CausalNode[] = [];
    for (const node of nodes.values()) {
      const parent = node.event.causationId === undefined ? undefined : nodes.get(node.event.causationId);
      (parent?.caused ?? roots).push(node);
    }
    return roots;
  }
}

/** One event and what it caused. */
export interface CausalNode {
  readonly event: EventEnvelope;
  readonly caused: CausalNode[];
}

function toLogged(row: Selectable<EventTables['weft_event_log']>): LoggedEvent {
  return {
    seq: Number(row.seq),
    envelope: {
      id: row.id,
      type: row.type,
      version: row.version,
      source: row.source,
      time: row.time,
      partitionKey: row.partition_key ?? undefined,
      correlationId: row.correlation_id,
      causationId: row.causation_id ?? undefined,
      traceparent: row.traceparent ?? undefined,
      data: JSON.parse(row.data) as unknown,
    },
  };
}
