import type { RetryPolicy } from '../database/internal.js';
import type { EventEnvelope } from './envelope.js';

/** Event type -> data type, built up by `define`. */
export type EventMap = Record<string, unknown>;

/** The event types a pattern matches: exact, `system.*`, or `*`. */
export type MatchingTypes<M extends EventMap, P extends string> = P extends '*'
  ? keyof M & string
  : P extends `${infer System}.*`
    ? Extract<keyof M & string, `${System}.${string}`>
    : Extract<keyof M & string, P>;

/** The envelope a handler of pattern `P` receives. */
export type EnvelopeFor<M extends EventMap, P extends string> = {
  [T in MatchingTypes<M, P>]: EventEnvelope<T, M[T]>;
}[MatchingTypes<M, P>];

/** A pattern a bus accepts: a defined type, `system.*`, or `*`. */
export type EventPattern<M extends EventMap> = (keyof M & string) | `${string}.*` | '*';

/** How a subscription behaves. */
export interface SubscribeOptions<E> {
  /** Stable name: required for durable delivery, where it is the consumer id. Also unsubscribes by name. */
  readonly name?: string;
  readonly filter?: (event: E) => boolean;
  /** Higher starts first for the same event. Default 0. */
  readonly priority?: number;
  /** Unsubscribe after the first event handled. */
  readonly once?: boolean;
  /** Events handled at once (different partition keys only). Default 1. */
  readonly concurrency?: number;
  /** Durable, for a name seen for the first time: from now on (default) or the whole log. */
  readonly startFrom?: 'now' | 'beginning';
  /** Bound of the in-memory queue of volatile events; beyond it they are dropped and counted. Default 10 000. */
  readonly queueSize?: number;
  /**
   * Durable: whether the transaction that handles an event (the handler's writes, the inbox row,
   * the cursor) waits for the disk. `'deferred'` (default) does not: a process crash loses none
   * of it, and a machine crash can only lose the latest ones whole, which are then delivered
   * again. `'full'` flushes each.
   */
  readonly durability?: 'full' | 'deferred';
  /**
   * The longest one run of the handler may take; default 30 000 ms. Durable: past it the delivery's transaction is
   * abandoned (rolled back, its connection freed; the handler's later writes and publishes are refused with a
   * TimeoutError) and the attempt counts as failed (retried, then dead-lettered). Volatile: the run counts as failed
   * and its queue slot is freed; `publishAndWait` rejects with the TimeoutError.
   */
  readonly timeoutMs?: number;
  /** Durable: attempts and backoff before the dead-letter table. */
  readonly retry?: Partial<RetryPolicy>;
  /**
   * A live tap: the handler receives the matching events, durable ones too, in this process right
   * after they commit (durable ones once the publishing transaction commits here; events committed
   * by other processes are not seen), at most once, like volatile events (queue, filter, priority,
   * once, concurrency apply). Needs no name; keeps no cursor, inbox or dead letter, so `startFrom`,
   * `retry` and `durability` do not apply.
   */
  readonly live?: boolean;
  /**
   * Durable: makes the subscription replayable from the start of the log (`bus.rebuild`). Clears what its handler
   * built (a projection's rows), in the transaction that rewinds the subscription's cursor and forgets its inbox and
   * dead letters; every event then comes through the handler again. Without it a replay is refused, since the handler's
   * effects would happen twice. Such a subscription takes only what the log holds: volatile events its pattern
   * matches, which no replay could bring again, do not reach it.
   */
  readonly reset?: () => unknown;
}

/** Hand a handler several events at once (analytics): up to `maxSize`, or what came within `maxWaitMs`. */
export interface BatchOptions {
  readonly maxSize: number;
  /** Volatile: the longest an event waits for its batch to fill. Durable batches are the events found waiting. */
  readonly maxWaitMs: number;
}

/** A handler: sync or async. */
export type EventHandler<E> = (event: E) => unknown;

/** How to publish one event. */
export interface PublishOptions {
  /** The publishing system; must own the type. Default: the current context's system. */
  readonly source?: string;
}
