import type { Logger } from 'pino';
import { RepeatedFailure, runInContext, type DeliveryLag, type WeftMetrics } from '../../monitoring/internal.js';
import { DeliveryMetrics } from '../delivery-metrics.js';
import type { EventEnvelope, LoggedEvent } from '../envelope.js';
import { handlerContext } from '../event-context.js';
import { SubscriptionLeaseLostError } from '../subscription-lease.js';

/**
 * The one place a durable subscription's deliveries are counted and logged: every delivery path
 * reports here, and this keeps the metric series (looked up once per event type) and the log lines.
 */
export class DeliveryRecorder {
  readonly #subscription: string;
  readonly #series: DeliveryMetrics;
  readonly #lag: DeliveryLag | undefined;
  readonly #logger: Pick<Logger, 'level' | 'debug' | 'info' | 'warn' | 'error'>;
  /** Rounds failing on the database (it went away): one line per interval, not one per round. */
  readonly #roundFailures = new RepeatedFailure();

  constructor(
    subscription: string,
    metrics: WeftMetrics | undefined,
    logger: Pick<Logger, 'level' | 'debug' | 'info' | 'warn' | 'error'>,
  ) {
    this.#subscription = subscription;
    this.#series = new DeliveryMetrics(metrics, subscription);
    this.#lag = metrics?.deliveryLag(subscription);
    this.#logger = logger;
  }

  /**
   * Handlers are starting on events, the oldest first: it is in hand (for the delivery lag, its age since it was
   * published) until it is delivered or dead-lettered, or the round fails.
   */
  starting(oldest: EventEnvelope): void {
    this.#lag?.started(oldest.id, Date.parse(oldest.time), this);
  }

  /**
   * The handler is called on these events (at debug level: one line per call, which is how the
   * cluster test counts calls across processes, committed or not).
   */
  handling(envelopes: readonly EventEnvelope[]): void {
    // Checked first: the hot path must not build the id list for a line nobody keeps.
    const level = this.#logger.level;
    if (level !== 'debug' && level !== 'trace') return;
    this.#logger.debug(
      { subscription: this.#subscription, events: envelopes.map((envelope) => envelope.id) },
      'handler called',
    );
  }

  /** These events were handled (or skipped) and committed; `durationMs` is each one's share of the time. */
  delivered(events: readonly LoggedEvent[], durationMs: number): void {
    const failedBefore = this.#roundFailures.recovered();
    if (failedBefore !== undefined)
      this.#logger.info(
        { subscription: this.#subscription, failedRoundsLeftOut: failedBefore },
        'durable delivery works again',
      );
    const lag = this.#lag;
    for (const event of events) {
      const series = this.#series.of(event.envelope.type);
      series.duration.observe(durationMs);
      series.delivered.inc();
      lag?.finished(event.envelope.id);
    }
  }

  /** An attempt at an event failed; `retrying` when it will be tried again (else it goes to the dead letters). */
  failed(envelope: EventEnvelope, error: unknown, attempt: number, retrying: boolean): void {
    const series = this.#series.of(envelope.type);
    series.failed.inc();
    if (!retrying) return;
    series.retried.inc();
    // In the event's context, as its handler ran: the line carries its correlationId (so /logs/recent shows it, and
    // the trace of the request that caused the event is one click away) and the event as its causationId.
    runInContext(handlerContext(envelope), () =>
      this.#logger.warn(
        { err: error, eventId: envelope.id, type: envelope.type, subscription: this.#subscription, attempt },
        'event handler failed; retrying',
      ),
    );
  }

  /** The event was parked in the dead-letter table. */
  deadLettered(envelope: EventEnvelope, error: unknown, attempts: number): void {
    this.#series.of(envelope.type).deadLettered.inc();
    this.#lag?.finished(envelope.id);
    runInContext(handlerContext(envelope), () =>
      this.#logger.error(
        { err: error, eventId: envelope.id, type: envelope.type, subscription: this.#subscription, attempts },
        'event dead-lettered',
      ),
    );
  }

  /** A dead letter went through its handler again. */
  redriven(envelope: EventEnvelope): void {
    this.#series.of(envelope.type).delivered.inc();
  }

  /** A dead letter failed again; it stays, with the new error. */
  redriveFailed(envelope: EventEnvelope, error: unknown): void {
    this.#logger.warn(
      { err: error, eventId: envelope.id, subscription: this.#subscription },
      'redriven event failed again',
    );
  }

  /** A round of delivery stopped on something other than a handler (the database); the events come again. */
  roundFailed(error: unknown): void {
    // What it had in hand is not behind here any more: it comes again (and is in hand again), or another process took
    // the subscription over and delivers it.
    this.#lag?.released(this);
    if (error instanceof SubscriptionLeaseLostError) {
      this.#logger.warn(
        { err: error, subscription: this.#subscription },
        'subscription lease lost: another process took it over, or a replay rewound it',
      );
      return;
    }
    const leftOut = this.#roundFailures.next();
    if (leftOut === undefined) return;
    this.#logger.error(
      { err: error, subscription: this.#subscription, ...(leftOut > 0 ? { failedRoundsLeftOut: leftOut } : {}) },
      'durable delivery failed',
    );
  }

  /** The stream could not tell where the subscription stands. */
  startFailed(error: unknown): void {
    this.#logger.error({ err: error, subscription: this.#subscription }, 'durable delivery failed to start');
  }
}
