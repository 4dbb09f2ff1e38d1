import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Database, RetryPolicy } from '../database/index.js';
import type { WeftMetrics } from '../monitoring/index.js';
import type { EventEnvelope } from './envelope.js';
import type { EventLog, EventTables, LoggedEvent } from './event-log.js';
import { uuidv7 } from './uuid.js';

/** What a durable consumer needs to know about its subscription. */
export interface DurableSubscription {
  readonly name: string;
  readonly pattern: string;
  readonly startFrom: 'now' | 'beginning';
  readonly filter: ((envelope: EventEnvelope) => boolean) | undefined;
  readonly retry: RetryPolicy;
  /** Runs the handler in the event's context; throws when it fails. */
  readonly handle: (envelope: EventEnvelope) => Promise<void>;
}

const BATCH = 100;

/**
 * Delivers the event log to one durable subscription, in log order. Each event is handled in a
 * transaction that also records it in the inbox and moves the cursor, so a crash at any point
 * either leaves all three undone (the event comes again) or all three done (it never does).
 */
export class DurableConsumer {
  readonly #db: Database<EventTables>;
  readonly #log: EventLog;
  readonly #subscription: DurableSubscription;
  readonly #metrics: WeftMetrics | undefined;
  readonly #logger: Pick<Logger, 'warn' | 'error'>;
  #cursor = 0;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  readonly ready: Promise<void>;

  constructor(db: Database<EventTables>, log: EventLog, subscription: DurableSubscription, metrics: WeftMetrics | undefined, logger: Pick<Logger, 'warn' | 'error'>) {
    this.#db = db;
    this.#log = log;
    this.#subscription = subscription;
    this.#metrics = metrics;
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
  wake(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Stops after the event in hand; resolves when it is done. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
  }

  async #init(): Promise<void> {
    await this.#db.transaction(async (tx) => {
      const row = await tx.selectFrom('weft_event_cursors').select('seq').where('subscription', '=', this.name).executeTakeFirst();
      if (row !== undefined) {
        this.#cursor = Number(row.seq);
        return;
      }
      this.#cursor = this.#subscription.startFrom === 'now' ? await this.#log.lastSeq() : 0;
      await tx.insertInto('weft_event_cursors').values({ subscription: this.name, seq: this.#cursor, updated_at: new Date().toISOString() }).execute();
    });
  }

  async #drain(): Promise<void> {
    await this.ready;
    do {
      this.#again = false;
      for (;;) {
        if (this.#stopped) return;
        const batch = await this.#log.readAfter(this.#cursor, this.#subscription.pattern, BATCH);
        for (const event of batch) {
          if (this.#stopped) return;
          await this.#deliver(event);
        }
        if (batch.length < BATCH) break;
      }
    } while (this.#again && !this.#stopped);
  }

  async #deliver(event: LoggedEvent): Promise<void> {
    const { envelope } = event;
    const labels = { type: envelope.type, subscription: this.name };
    const { retry } = this.#subscription;
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        await this.#db.transaction(async (tx) => {
          const seen = await tx.selectFrom('weft_event_inbox').select('event_id').where('subscription', '=', this.name).where('event_id', '=', envelope.id).executeTakeFirst();
          if (seen === undefined && (this.#subscription.filter?.(envelope) ?? true)) {
            this.#metrics?.eventDeliveryLag.set({ subscription: this.name }, Math.max(0, Date.now() - Date.parse(envelope.time)));
            await this.#subscription.handle(envelope);
            await tx.insertInto('weft_event_inbox').values({ subscription: this.name, event_id: envelope.id, handled_at: new Date().toISOString() }).execute();
          }
          await this.#moveCursor(event.seq);
        });
        this.#cursor = event.seq;
        this.#metrics?.handlerDuration.observe(labels, performance.now() - started);
        this.#metrics?.eventsDelivered.inc(labels);
        return;
      } catch (error) {
        this.#metrics?.eventsFailed.inc(labels);
        if (attempt >= retry.maxAttempts) {
          await this.#deadLetter(event, error, attempt);
          return;
        }
        this.#metrics?.eventsRetried.inc(labels);
        this.#logger.warn({ err: error, eventId: envelope.id, type: envelope.type, subscription: this.name, attempt }, 'event handler failed; retrying');
        await sleep(Math.random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1)));
        if (this.#stopped) return;
      }
    }
  }

  /**
   * Runs a dead-lettered event through the handler again, in one transaction with its inbox row
   * and the dead letter's removal. Resolves true when it went through; a new failure is recorded
   * on the dead letter (error, attempts) and resolves false.
   */
  async redrive(deadLetterId: string, envelope: EventEnvelope, attempts: number): Promise<boolean> {
    try {
      await this.#db.transaction(async (tx) => {
        await this.#subscription.handle(envelope);
        await tx.insertInto('weft_event_inbox').values({ subscription: this.name, event_id: envelope.id, handled_at: new Date().toISOString() }).onConflict((oc) => oc.doNothing()).execute();
        await tx.deleteFrom('weft_dead_letters').where('id', '=', deadLetterId).execute();
      });
      this.#metrics?.eventsDelivered.inc({ type: envelope.type, subscription: this.name });
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
    await this.#db.executor().updateTable('weft_event_cursors').set({ seq, updated_at: new Date().toISOString() }).where('subscription', '=', this.name).execute();
  }

  /** Parks the event with its error and moves on, in one transaction. */
  async #deadLetter(event: LoggedEvent, error: unknown, attempts: number): Promise<void> {
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
      await this.#moveCursor(event.seq);
    });
    this.#cursor = event.seq;
    this.#metrics?.eventsDeadLettered.inc({ type: envelope.type, subscription: this.name });
    this.#logger.error({ err: error, eventId: envelope.id, type: envelope.type, subscription: this.name, attempts }, 'event dead-lettered');
  }
}
