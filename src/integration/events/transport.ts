import type { DurableSubscription } from './durable-consumer.js';
import type { EventEnvelope } from './envelope.js';

/** One durable subscription's delivery, as a transport runs it. */
export interface TransportConsumer {
  readonly name: string;
  /** Resolves once the consumer knows where it stands (its cursor, or its broker-side consumer). */
  readonly ready: Promise<void>;
  /** Delivers what is waiting now; resolves when that is handled. */
  drain(): Promise<void>;
  /** Runs a dead-lettered event through the handler again; resolves true when it went through. */
  redrive(deadLetterId: string, envelope: EventEnvelope, attempts: number): Promise<boolean>;
  /** Stops after the events in hand; resolves when they are done. */
  stop(): Promise<void>;
}

/**
 * How committed durable events reach the durable subscriptions of every process. The bus
 * appends each event to the event log (the outbox) in the publishing transaction and tells the
 * transport once it commits; the transport gets the events to each subscription's consumer, which
 * handles an event in a transaction with its inbox row. The memory transport reads the log
 * itself; a broker transport (NATS JetStream) relays the log to the broker and consumes from it.
 */
export interface Transport {
  /** A transaction that appended events committed: hand them on now. */
  committed(): void;
  /** Starts delivery to one durable subscription. */
  consume(subscription: DurableSubscription): TransportConsumer;
  /** Stops looking for new events; the bus stops the consumers first. */
  close(): Promise<void>;
}
