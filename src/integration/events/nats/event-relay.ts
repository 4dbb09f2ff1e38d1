import type { NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../database/internal.js';
import type { LoggedEvent } from '../envelope.js';
import { EventLog } from '../event-log.js';
import { subjectOf } from './names.js';
import { publishBatch } from './publish-batch.js';
import { untilLost } from './until-lost.js';
import type { RelayTables } from './relay-migration.js';

/** Options of an EventRelay. */
export interface EventRelayOptions {
  readonly db: Pick<Database<unknown>, 'withTables'>;
  readonly nc: NatsConnection;
  /** The JetStream stream fed, and the key of the relay's position row. */
  readonly stream: string;
  readonly subjectPrefix: string;
  /** Events published in one round of pipelined publishes; a pass publishes up to `BATCHES_PER_PASS` rounds. */
  readonly batch: number;
  /** How long a publish may wait for the stream's confirmation. */
  readonly publishTimeoutMs: number;
  readonly logger: Pick<Logger, 'warn' | 'debug'> | undefined;
  /** Aborts when the NATS connection drops: publishes waiting for confirmation fail then, not at their timeout. */
  readonly lost: () => AbortSignal;
  /** Called after a pass published events: subscribers may have some waiting. */
  readonly published: (count: number) => void;
  /** How long after finding another process relaying a run looks again; until then it retries no sooner. */
  readonly busyRetryMs: number;
}

/** What one pass did: published some (and whether more were left), or found another process relaying. */
type Pass = { published: number; more: boolean } | 'busy';

/**
 * Rounds of publishes one pass makes before it writes the position and commits: fewer passes (each a horizon read, a
 * transaction and a position write) and, within one, the next round read while the stream confirms the one before.
 * The relay is the NATS transport's one serial step (`npm run bench -- distributed`).
 */
const BATCHES_PER_PASS = 8;

/**
 * Feeds the event log to a JetStream stream in log order: the outbox's relay. Each pass reads the
 * events after the relay's position (`weft_event_relay`), publishes them with `Nats-Msg-Id` set to
 * the event id, and moves the position once the stream confirmed them all. A relay that dies
 * between the publishes and the position write publishes them again on the next pass, here or in
 * another process, and the stream drops them as duplicates (its duplicate window covers that).
 * On a database with concurrent writers (PostgreSQL) a pass holds the position row with
 * `FOR UPDATE SKIP LOCKED`, so of several processes one relays at a time and the others return at
 * once; on SQLite (one process) the position is read plainly and only ever moves forward.
 */
export class EventRelay {
  readonly #db: Database<RelayTables>;
  readonly #log: EventLog;
  readonly #options: EventRelayOptions;
  #running: Promise<void> | undefined;
  #again = false;
  /** The run to come after one that found another process relaying, and whether `stop` ended the retries. */
  #retry: NodeJS.Timeout | undefined;
  #stopped = false;
  #created: Promise<void> | undefined;
  /** Callers of `pass` waiting for the next pass to start, and those waiting for the one running to end. */
  #waiting: Array<() => void> = [];
  #inPass: Array<() => void> = [];

  constructor(options: EventRelayOptions) {
    this.#options = options;
    this.#db = options.db.withTables<RelayTables>();
    this.#log = new EventLog(options.db);
  }

  /**
   * Relays until nothing new is left (or another process is relaying); a call while a run is on makes that run look
   * again before it resolves.
   */
  run(): Promise<void> {
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#loop().finally(() => (this.#running = undefined));
    return this.#running;
  }

  /**
   * Relays (starting a run when none is on) and resolves once one pass that started after this call is over: what was
   * committed before the call, up to one batch past the stream's end, is in the stream. A run catching up a long
   * backlog goes on after that, so a reader does not wait for all of it before handling the oldest events.
   */
  pass(): Promise<void> {
    const passed = new Promise<void>((resolve) => this.#waiting.push(resolve));
    return Promise.race([this.run(), passed]);
  }

  /** Ends the retries after a busy pass; a run in hand goes on (see `settled`). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#retry = undefined;
  }

  /** Resolves once the run in hand (if any) is over, however it ended: a close waits for it before disconnecting. */
  async settled(): Promise<void> {
    await this.#running?.catch(() => undefined);
  }

  /** The last log sequence number the stream holds, as far as the relay knows. */
  async position(): Promise<number> {
    await this.#ensureRow();
    const row = await this.#db
      .executor()
      .selectFrom('weft_event_relay')
      .select('seq')
      .where('stream', '=', this.#options.stream)
      .executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  async #loop(): Promise<void> {
    try {
      await this.#ensureRow();
      let pass: Pass;
      do {
        this.#again = false;
        for (;;) {
          this.#inPass = this.#waiting;
          this.#waiting = [];
          pass = await this.#pass();
          for (const passed of this.#inPass.splice(0)) passed();
          if (pass === 'busy' || !pass.more) break;
        }
      } while (this.#again);
      if (pass === 'busy') this.#retryLater();
    } finally {
      // A failed pass rejects the run, which every waiter races against; any left are released with it.
      for (const passed of [...this.#inPass.splice(0), ...this.#waiting.splice(0)]) passed();
    }
  }

  /**
   * Runs again shortly: the other process's pass may have read the log's horizon before this process's latest commit,
   * and would then end without those events, which nobody else relays before the next poll (a second by default).
   */
  #retryLater(): void {
    if (this.#stopped || this.#retry !== undefined) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.run().catch((error: unknown) =>
        this.#options.logger?.warn({ err: error }, 'relaying events to NATS failed'),
      );
    }, this.#options.busyRetryMs);
    this.#retry.unref();
  }

  async #pass(): Promise<Pass> {
    if (!this.#db.capabilities.concurrentWriters) return this.#relayAfter(await this.position(), undefined);
    // Every process relays after its own commits, so with several the row is mostly held by another: one statement
    // outside a transaction finds that before the horizon read, which holds every publisher off while it waits for
    // those in flight (`npm run bench -- distributed`).
    if ((await this.#positionRow(this.#db.executor())) === undefined) return 'busy';
    // Out-of-order commits (PostgreSQL): read only up to the log's horizon, so the position never passes an event that
    // commits later. Read before the pass's transaction, which must not wait on publishers while it holds the row.
    const horizon = await this.#log.horizon();
    return this.#db.transaction(async (tx) => {
      const row = await this.#positionRow(tx);
      if (row === undefined) return 'busy';
      return this.#relayAfter(Number(row.seq), horizon);
    });
  }

  /** The position row, locked until the end of the transaction; undefined while another process holds it. */
  #positionRow(executor: Kysely<RelayTables>): Promise<{ seq: number } | undefined> {
    return executor
      .selectFrom('weft_event_relay')
      .select('seq')
      .where('stream', '=', this.#options.stream)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
  }

  /**
   * Publishes the events after `seq` (below `horizon`, when given) in rounds of one batch, reading the next round while
   * the stream confirms the one before, then moves the position past the last one confirmed.
   */
  async #relayAfter(seq: number, horizon: number | undefined): Promise<Pass> {
    const { batch } = this.#options;
    let events = await this.#log.readAfter(seq, '*', batch, horizon);
    let published = 0;
    let last: LoggedEvent | undefined;
    /** Whether the pass stopped at its round limit with a full batch, so more may be waiting. */
    let more = false;
    for (let round = 1; events.length > 0; round++) {
      const full = events.length === batch;
      const tail = events.at(-1);
      const readNext = full && round < BATCHES_PER_PASS && tail !== undefined;
      // Both awaited together: a failed publish fails the pass, and a failed read is never left unhandled.
      const [, following] = await Promise.all([
        this.#publish(events),
        readNext ? this.#log.readAfter(tail.seq, '*', batch, horizon) : Promise.resolve([]),
      ]);
      published += events.length;
      last = tail;
      more = full && !readNext;
      events = following;
    }
    await this.#moveTo(last);
    return { published, more };
  }

  /** Publishes in log order, pipelined on one connection (which keeps the order), and waits for every confirmation. */
  async #publish(events: readonly LoggedEvent[]): Promise<void> {
    if (events.length === 0) return;
    const { nc, subjectPrefix, publishTimeoutMs, logger } = this.#options;
    const messages = events.map((event) => ({
      subject: subjectOf(subjectPrefix, event.envelope.type),
      data: JSON.stringify(event),
      msgId: event.envelope.id,
    }));
    const { duplicates } = await untilLost(
      publishBatch(nc, messages, publishTimeoutMs),
      this.#options.lost(),
      `Relaying ${events.length} events to stream "${this.#options.stream}"`,
    );
    // Expected after a relay died between publishing and moving its position: the stream kept the first copies.
    if (duplicates > 0) logger?.warn({ stream: this.#options.stream, duplicates }, 'relay published events again');
    this.#options.published(events.length);
  }

  async #moveTo(last: LoggedEvent | undefined): Promise<void> {
    if (last === undefined) return;
    await this.#db
      .executor()
      .updateTable('weft_event_relay')
      .set({ seq: last.seq, updated_at: new Date().toISOString() })
      .where('stream', '=', this.#options.stream)
      .where('seq', '<', last.seq)
      .execute();
  }

  #ensureRow(): Promise<void> {
    this.#created ??= this.#db
      .executor()
      .insertInto('weft_event_relay')
      .values({ stream: this.#options.stream, seq: 0, updated_at: new Date().toISOString() })
      .onConflict((oc) => oc.column('stream').doNothing())
      .execute()
      .then(
        () => undefined,
        (error: unknown) => {
          this.#created = undefined;
          throw error;
        },
      );
    return this.#created;
  }
}
