import type { Generated, Selectable } from 'kysely';
import { StatementCache, type Database } from '../database/internal.js';
import type { EventEnvelope } from './envelope.js';

/** The tables of the events part, for Kysely's types. */
export interface EventTables {
  weft_event_log: {
    seq: Generated<number>;
    id: string;
    type: string;
    version: number;
    source: string;
    time: string;
    partition_key: string | null;
    correlation_id: string;
    causation_id: string | null;
    traceparent: string | null;
    data: string;
  };
  weft_event_cursors: { subscription: string; seq: number; updated_at: string };
  weft_event_inbox: { subscription: string; event_id: string; handled_at: string };
  weft_dead_letters: {
    id: string;
    subscription: string;
    event_id: string;
    event_seq: number;
    type: string;
    envelope: string;
    error: string;
    attempts: number;
    correlation_id: string;
    created_at: string;
  };
}

/** An envelope with its place in the log. */
export interface LoggedEvent {
  readonly seq: number;
  readonly envelope: EventEnvelope;
}

const LOCK = 'weft_event_log';
const newBuffer = (): EventEnvelope[] => [];
/** Rows per multi-row insert: 640 parameters, well under SQLite's and PostgreSQL's limits. */
const CHUNK = 64;

/** The durable event log: the outbox that publishing appends to and subscriptions read in order. */
export class EventLog {
  readonly #db: Database<EventTables>;
  readonly #statements = new StatementCache();

  constructor(db: Pick<Database<unknown>, 'withTables'>) {
    this.#db = db.withTables<EventTables>();
  }

  /**
   * Appends in the caller's transaction (or in one statement of its own outside one). Inside a
   * transaction the rows are held in memory and written in multi-row inserts (every 64 events,
   * and before the transaction commits or a savepoint opens): one statement for many small events.
   * On PostgreSQL the write takes a lock held to commit, so sequence numbers become visible in
   * order and a reader never skips one that commits later.
   */
  async append(envelope: EventEnvelope): Promise<void> {
    const buffer = this.#db.pending(this, newBuffer, this.#insertHeld);
    if (buffer === undefined) return this.#insert([envelope]);
    buffer.push(envelope);
    if (buffer.length >= CHUNK) await this.#db.flushPending();
  }

  readonly #insertHeld = (held: EventEnvelope[]): Promise<void> => this.#insert(held);

  /** Writes envelopes in order, in multi-row inserts of up to 64 rows: one round trip for a transaction's events (each statement shape compiled once). */
  async #insert(envelopes: readonly EventEnvelope[]): Promise<void> {
    if (envelopes.length === 0) return;
    // A backend with one writer at a time (SQLite) commits in sequence order already.
    if (this.#db.capabilities.concurrentWriters) await this.#db.lockInTransaction(LOCK);
    const db = this.#db.executor();
    for (let start = 0; start < envelopes.length;) {
      const size = Math.min(CHUNK, envelopes.length - start);
      const rows = envelopes.slice(start, start + size);
      const values = rows.flatMap((envelope) => [
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
      ]);
      const blank = {
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
      await this.#db.execute(
        this.#statements.get(
          `append:${size}`,
          () => db.insertInto('weft_event_log').values(rows.map(() => blank)),
          values,
        ),
      );
      start += size;
    }
  }

  /** Events after `seq` whose type matches `pattern` (exact, `system.*` or `*`), oldest first. */
  async readAfter(seq: number, pattern: string, limit: number, before?: number): Promise<LoggedEvent[]> {
    await this.#db.flushPending();
    const db = this.#db.executor();
    const kind = pattern === '*' ? 'all' : pattern.endsWith('.*') ? 'system' : 'type';
    const parameters: unknown[] = [seq];
    if (kind !== 'all') parameters.push(kind === 'system' ? `${pattern.slice(0, -1)}%` : pattern);
    if (before !== undefined) parameters.push(before);
    parameters.push(limit);
    const query = this.#statements.get(
      `read:${kind}:${before === undefined ? 'open' : 'bounded'}`,
      () => {
        let built = db.selectFrom('weft_event_log').selectAll().where('seq', '>', 0);
        if (kind === 'system') built = built.where('type', 'like', '');
        if (kind === 'type') built = built.where('type', '=', '');
        if (before !== undefined) built = built.where('seq', '<=', 0);
        return built.orderBy('seq').limit(1);
      },
      parameters,
    );
    const { rows } = await db.executeQuery<Selectable<EventTables['weft_event_log']>>(query);
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
