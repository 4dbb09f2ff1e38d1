import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { StatementCache, type Database, type RetryPolicy } from '../database/internal.js';
import type { WeftMetrics } from '../monitoring/internal.js';
import type { EventEnvelope } from './envelope.js';
import type { EventLog, EventTables, LoggedEvent } from './event-log.js';
import { DeliveryMetrics } from './delivery-metrics.js';
import { uuidv7 } from './uuid.js';

/** What a durable consumer needs to know about its subscription. */
export interface DurableSubscription {
  readonly name: string;
  readonly pattern: string;
  readonly startFrom: 'now' | 'beginning';
  readonly filter: ((envelope: EventEnvelope) => boolean) | undefined;
  readonly retry: RetryPolicy;
  /** Runs the handler on these events (one, or a batch for batch subscriptions); throws when it fails. */
  readonly handle: (envelopes: readonly EventEnvelope[]) => Promise<void>;
  /** Events handed to the handler at once: 1, or the batch size of a batch subscription. */
  readonly batchSize: number;
  /** Whether delivery transactions wait for the disk (see SubscribeOptions.durability). */
  readonly durability: 'full' | 'deferred';
  /** Events handled at once, each in its own transaction; the same partition key never runs twice at once. */
  readonly concurrency: number;
}

const BATCH = 100;
/** The quick path was not tried: handle every event the careful way. */
const UNTRIED = { index: -1, error: undefined } as const;
/** Commit notices gathered before a delivery starts without waiting for the event loop's turn. */
const COALESCE = 32;

/**
 * Delivers the event log to one durable subscription, in log order. The events waiting are handled
 * in one transaction (each in a savepoint) that also records them in the inbox and moves the
 * cursor, so a crash at any point either leaves all of it undone (the events come again) or all of
 * it done (they never do). A failing event is retried on its own, then dead-lettered.
 */
export class DurableConsumer {
  readonly #db: Database<EventTables>;
  readonly #log: EventLog;
  readonly #subscription: DurableSubscription;
  readonly #metrics: WeftMetrics | undefined;
  readonly #logger: Pick<Logger, 'warn' | 'error'>;
  #cursor = 0;
  readonly #statements = new StatementCache();
  /** Its metric series per event type, looked up once. */
  readonly #series: DeliveryMetrics;
  /** The options of the transactions that handle events. */
  readonly #durability: { readonly durability: 'full' | 'deferred' };
  #running: Promise<void> | undefined;
  #again = false;
  #notices = 0;
  #scheduled: NodeJS.Immediate | undefined;
  #stopped = false;
  readonly ready: Promise<void>;

  constructor(
    db: Database<EventTables>,
    log: EventLog,
    subscription: DurableSubscription,
    metrics: WeftMetrics | undefined,
    logger: Pick<Logger, 'warn' | 'error'>,
  ) {
    this.#db = db;
    this.#log = log;
    this.#subscription = subscription;
    this.#durability = { durability: subscription.durability };
    this.#metrics = metrics;
    this.#series = new DeliveryMetrics(metrics, subscription.name);
    this.#logger = logger;
    this.ready = this.#init();
  }

  get name(): string {
    return this.#subscription.name;
  }

  /** Where the subscription stands in the log. */
  get cursor(): number {
    return this.#cursor;
  }

  /** Reads and delivers what is new; a call while delivering makes it look again when done. */
  drain(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    // Started at once rather than on a later turn of the event loop: a publisher that never yields
    // (a loop of awaited publishes) would otherwise hold back delivery until it is done.
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /**
   * Events were committed: deliver on the next turn of the event loop, so the commits of one turn
   * share a delivery transaction; after COALESCE notices with no turn in between, deliver at once
   * (a publisher that never yields must not hold delivery back).
   */
  notify(): void {
    if (this.#stopped) return;
    if (++this.#notices >= COALESCE) this.#deliverNoticed();
    else this.#scheduled ??= setImmediate(() => this.#deliverNoticed());
  }

  #deliverNoticed(): void {
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    this.#notices = 0;
    this.drain().catch((error: unknown) =>
      this.#logger.error({ err: error, subscription: this.name }, 'durable delivery failed'),
    );
  }

  /** Stops after the event in hand; resolves when it is done. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    await this.#running;
  }

  async #init(): Promise<void> {
    await this.#db.transaction(async (tx) => {
      const row = await tx
        .selectFrom('weft_event_cursors')
        .select('seq')
        .where('subscription', '=', this.name)
        .executeTakeFirst();
      if (row !== undefined) {
        this.#cursor = Number(row.seq);
        return;
      }
      this.#cursor = this.#subscription.startFrom === 'now' ? await this.#log.lastSeq() : 0;
      await tx
        .insertInto('weft_event_cursors')
        .values({ subscription: this.name, seq: this.#cursor, updated_at: new Date().toISOString() })
        .execute();
    });
  }

  async #drain(): Promise<void> {
    await this.ready;
    do {
      this.#again = false;
      for (;;) {
        if (this.#stopped) return;
        const batch = await this.#log.readAfter(this.#cursor, this.#subscription.pattern, BATCH);
        if (this.#subscription.concurrency > 1) {
          await this.#deliverInLanes(batch);
          if (batch.length < BATCH) break;
          continue;
        }
        for (let next = 0; next < batch.length && !this.#stopped;) {
          const rest = batch.slice(next);
          const quick = rest.length > this.#subscription.batchSize ? await this.#deliverAllAtOnce(rest) : UNTRIED;
          if (quick === undefined) break;
          // The events before the one that failed (all of them when that is not known) go one savepoint each.
          let failed =
            quick.index === 0
              ? undefined
              : await this.#deliverTogether(quick.index === -1 ? rest : rest.slice(0, quick.index));
          if (failed === undefined && quick.index === -1) break;
          const failedQuick = rest[quick.index];
          if (failed === undefined && failedQuick !== undefined)
            failed = { event: failedQuick, index: quick.index, error: quick.error };
          if (failed === undefined) break;
          // The event that failed gets its own transactions: retries, then the dead-letter table.
          if ((await this.#failed(failed.event, failed.error, 1)) === 'retry') await this.#deliver(failed.event, 2);
          next += failed.index + 1;
        }
        if (batch.length < BATCH) break;
      }
    } while (this.#again && !this.#stopped);
  }

  /**
   * The common case first: every event in one transaction with no savepoints, one inbox check,
   * one inbox insert and one cursor move. When a handler fails, all of it rolls back (the
   * handlers' writes with it) and this returns the failing event's index and error (its first
   * attempt); index -1 when something other than a handler failed.
   */
  async #deliverAllAtOnce(events: readonly LoggedEvent[]): Promise<{ index: number; error: unknown } | undefined> {
    const last = events.at(-1);
    if (last === undefined) return undefined;
    const started = performance.now();
    let running: EventEnvelope | undefined;
    try {
      await this.#db.transaction(async () => {
        await this.#handleOnce(events, this.#subscription.batchSize, (envelope) => (running = envelope));
        await this.#moveCursor(last.seq);
      }, this.#durability);
    } catch (error) {
      const failing = running;
      return {
        index: failing === undefined ? -1 : events.findIndex((event) => event.envelope.id === failing.id),
        error,
      };
    }
    this.#cursor = last.seq;
    const durationMs = (performance.now() - started) / events.length;
    for (const event of events) {
      const series = this.#series.of(event.envelope.type);
      series.duration.observe(durationMs);
      series.delivered.inc();
    }
    return undefined;
  }

  /**
   * Handles the events in one transaction, each in a savepoint with its inbox row, and moves the
   * cursor once: the inbox and cursor writes of many events share one commit (and one flush).
   * Stops at the first event whose handler fails, committing those before it; returns that one.
   */
  async #deliverTogether(
    events: readonly LoggedEvent[],
  ): Promise<{ event: LoggedEvent; index: number; error: unknown } | undefined> {
    let failed: { event: LoggedEvent; index: number; error: unknown } | undefined;
    const handled: Array<{ event: LoggedEvent; durationMs: number }> = [];
    const size = this.#subscription.batchSize;
    // One chunk needs no savepoint: if it fails, the transaction has nothing else to keep.
    const alone = events.length <= size;
    try {
      await this.#db.transaction(async () => {
        for (let index = 0; index < events.length; index += size) {
          if (this.#stopped) break;
          const chunk = events.slice(index, index + size);
          const started = performance.now();
          try {
            if (alone) await this.#handleOnce(chunk);
            else await this.#db.transaction(() => this.#handleOnce(chunk));
          } catch (error) {
            // Its savepoint rolled back alone. A failed batch is taken apart: the caller retries its first event on
            // its own, and the rest come again in the next round.
            const first = chunk[0];
            if (first !== undefined) failed = { event: first, index, error };
            if (alone) throw error;
            break;
          }
          const durationMs = (performance.now() - started) / chunk.length;
          for (const event of chunk) handled.push({ event, durationMs });
        }
        const last = handled.at(-1);
        if (last !== undefined) await this.#moveCursor(last.event.seq);
      }, this.#durability);
    } catch (error) {
      if (failed === undefined || failed.error !== error) throw error;
    }
    const last = handled.at(-1);
    if (last !== undefined) this.#cursor = last.event.seq;
    for (const { event, durationMs } of handled) {
      const series = this.#series.of(event.envelope.type);
      series.duration.observe(durationMs);
      series.delivered.inc();
    }
    return failed;
  }

  /**
   * Runs the handler on the events the inbox does not have yet (and the filter keeps), `size` at a
   * time (all at once by default: one batch), and records them there; inside the caller's transaction.
   */
  async #handleOnce(
    events: readonly LoggedEvent[],
    size = events.length,
    running?: (first: EventEnvelope | undefined) => void,
  ): Promise<void> {
    const db = this.#db.executor();
    const ids = events.map((e) => e.envelope.id);
    const inInbox = this.#statements.get(
      `inbox:${ids.length}`,
      () =>
        db
          .selectFrom('weft_event_inbox')
          .select('event_id')
          .where('subscription', '=', '')
          .where('event_id', 'in', ids),
      [this.name, ...ids],
    );
    const seen = new Set((await db.executeQuery<{ event_id: string }>(inInbox)).rows.map((r) => r.event_id));
    const fresh = events
      .map((e) => e.envelope)
      .filter((envelope) => !seen.has(envelope.id) && (this.#subscription.filter?.(envelope) ?? true));
    if (fresh.length === 0) return;
    const oldest = fresh[0];
    if (oldest !== undefined)
      this.#metrics?.eventDeliveryLag.set(
        { subscription: this.name },
        Math.max(0, Date.now() - Date.parse(oldest.time)),
      );
    for (let index = 0; index < fresh.length; index += size) {
      const chunk = fresh.slice(index, index + size);
      running?.(chunk[0]);
      await this.#subscription.handle(chunk);
    }
    running?.(undefined);
    const handledAt = new Date().toISOString();
    const rows = fresh.map((envelope) => ({ subscription: this.name, event_id: envelope.id, handled_at: handledAt }));
    await db.executeQuery(
      this.#statements.get(
        `record:${rows.length}`,
        () => db.insertInto('weft_event_inbox').values(rows),
        rows.flatMap((row) => [row.subscription, row.event_id, row.handled_at]),
      ),
    );
  }

  /**
   * Handles the events in up to `concurrency` lanes: the events of one partition key go in one
   * lane, in log order; an event without a key is a lane of its own. Each event commits in its own
   * transaction with its inbox row; the cursor moves past them all once every lane is done (a crash
   * before that brings them again, and the inbox turns each away).
   */
  async #deliverInLanes(events: readonly LoggedEvent[]): Promise<void> {
    const lanes: LoggedEvent[][] = [];
    const byKey = new Map<string, LoggedEvent[]>();
    for (const event of events) {
      const key = event.envelope.partitionKey;
      let lane = key === undefined ? undefined : byKey.get(key);
      if (lane === undefined) {
        lane = [];
        lanes.push(lane);
        if (key !== undefined) byKey.set(key, lane);
      }
      lane.push(event);
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let lane = lanes[next++]; lane !== undefined && !this.#stopped; lane = lanes[next++]) {
        for (const event of lane) await this.#deliver(event, 1, false);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#subscription.concurrency, lanes.length) }, worker));
    const last = events.at(-1);
    if (last === undefined || this.#stopped) return;
    await this.#db.transaction(() => this.#moveCursor(last.seq), this.#durability);
    this.#cursor = last.seq;
  }

  /**
   * Handles one event in its own transaction, from attempt `firstAttempt`, until it succeeds or is
   * dead-lettered; with `moveCursor` the cursor moves past it in the same transaction.
   */
  async #deliver(event: LoggedEvent, firstAttempt = 1, moveCursor = true): Promise<void> {
    const series = this.#series.of(event.envelope.type);
    for (let attempt = firstAttempt; ; attempt++) {
      if (this.#stopped) return;
      const started = performance.now();
      try {
        await this.#db.transaction(async () => {
          await this.#handleOnce([event]);
          if (moveCursor) await this.#moveCursor(event.seq);
        }, this.#durability);
        if (moveCursor) this.#cursor = event.seq;
        series.duration.observe(performance.now() - started);
        series.delivered.inc();
        return;
      } catch (error) {
        if ((await this.#failed(event, error, attempt, moveCursor)) === 'done') return;
      }
    }
  }

  /** Counts a failed attempt; dead-letters the event after the last one, else waits out the backoff. */
  async #failed(event: LoggedEvent, error: unknown, attempt: number, moveCursor = true): Promise<'retry' | 'done'> {
    const { envelope } = event;
    const series = this.#series.of(envelope.type);
    const { retry } = this.#subscription;
    series.failed.inc();
    if (attempt >= retry.maxAttempts) {
      await this.#deadLetter(event, error, attempt, moveCursor);
      return 'done';
    }
    series.retried.inc();
    this.#logger.warn(
      { err: error, eventId: envelope.id, type: envelope.type, subscription: this.name, attempt },
      'event handler failed; retrying',
    );
    await sleep(Math.random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1)));
    return 'retry';
  }

  /**
   * Runs a dead-lettered event through the handler again, in one transaction with its inbox row
   * and the dead letter's removal. Resolves true when it went through; a new failure is recorded
   * on the dead letter (error, attempts) and resolves false.
   */
  async redrive(deadLetterId: string, envelope: EventEnvelope, attempts: number): Promise<boolean> {
    try {
      await this.#db.transaction(async (tx) => {
        await this.#subscription.handle([envelope]);
        await tx
          .insertInto('weft_event_inbox')
          .values({ subscription: this.name, event_id: envelope.id, handled_at: new Date().toISOString() })
          .onConflict((oc) => oc.doNothing())
          .execute();
        await tx.deleteFrom('weft_dead_letters').where('id', '=', deadLetterId).execute();
      });
      this.#series.of(envelope.type).delivered.inc();
      return true;
    } catch (error) {
      await this.#db
        .executor()
        .updateTable('weft_dead_letters')
        .set({ error: error instanceof Error ? (error.stack ?? error.message) : String(error), attempts: attempts + 1 })
        .where('id', '=', deadLetterId)
        .execute();
      this.#logger.warn({ err: error, eventId: envelope.id, subscription: this.name }, 'redriven event failed again');
      return false;
    }
  }

  async #moveCursor(seq: number): Promise<void> {
    const db = this.#db.executor();
    await db.executeQuery(
      this.#statements.get(
        'cursor',
        () => db.updateTable('weft_event_cursors').set({ seq: 0, updated_at: '' }).where('subscription', '=', ''),
        [seq, new Date().toISOString(), this.name],
      ),
    );
  }

  /** Parks the event with its error and moves on, in one transaction; its inbox row keeps a redelivery from parking it twice. */
  async #deadLetter(event: LoggedEvent, error: unknown, attempts: number, moveCursor: boolean): Promise<void> {
    const { envelope } = event;
    await this.#db.transaction(async (tx) => {
      await tx
        .insertInto('weft_dead_letters')
        .values({
          id: uuidv7(),
          subscription: this.name,
          event_id: envelope.id,
          event_seq: event.seq,
          type: envelope.type,
          envelope: JSON.stringify(envelope),
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          attempts,
          correlation_id: envelope.correlationId,
          created_at: new Date().toISOString(),
        })
        .execute();
      await tx
        .insertInto('weft_event_inbox')
        .values({ subscription: this.name, event_id: envelope.id, handled_at: new Date().toISOString() })
        .onConflict((oc) => oc.doNothing())
        .execute();
      if (moveCursor) await this.#moveCursor(event.seq);
    });
    if (moveCursor) this.#cursor = event.seq;
    this.#series.of(envelope.type).deadLettered.inc();
    this.#logger.error(
      { err: error, eventId: envelope.id, type: envelope.type, subscription: this.name, attempts },
      'event dead-lettered',
    );
  }
}
