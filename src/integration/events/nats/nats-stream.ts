import type { Msg, NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Database } from '../../database/internal.js';
import { UnavailableError, UsageError } from '../../errors/internal.js';
import type { LoggedEvent } from '../envelope.js';
import type { EventTables } from '../event-tables.js';
import { SubscriptionLeaseLostError, type SubscriptionLease } from '../subscription-lease.js';
import type { TransportStream, TransportSubscription } from '../transport.js';
import { pullWaiting } from './pull.js';
import { untilLost } from './until-lost.js';

/** What the streams of one NatsTransport share: the connection, the stream, the relay, the settings. */
export interface NatsStreamContext {
  /** The connection; refused (UnavailableError) while it is lost and the client reconnects. */
  readonly nc: () => NatsConnection;
  /** Whether the connection is closed for good (or not made yet): a lost one being reconnected is not. */
  readonly connectionClosed: () => boolean;
  /** Aborts when the connection drops: a pull or acknowledgement waiting for its answer fails then. */
  readonly lost: () => AbortSignal;
  readonly stream: string;
  readonly db: Database<EventTables>;
  /**
   * Publishes what the log holds and the stream does not yet, resolving after one pass (a batch): run before a pull
   * that found nothing, so a long backlog (after NATS was away) is handled while the rest of it is relayed.
   */
  readonly relay: () => Promise<void>;
  /** Resolves once the stream holds every event up to `seq` (another process may be the one relaying them). */
  readonly relayThrough: (seq: number) => Promise<void>;
  /** Makes the subscription's durable consumer when it is new; resolves its name and unacknowledged count. */
  readonly consumer: (subscription: TransportSubscription) => Promise<string>;
  /** Makes the subscription's durable consumer when it is not there (any more); resolves whether it made it. */
  readonly consumerAdded: (subscription: TransportSubscription) => Promise<boolean>;
  /**
   * How many messages the consumer has handed out and not had acknowledged, and when (ms since the epoch, the
   * server's clock) it last handed one out, when the server says.
   */
  readonly handedOut: (consumer: string) => Promise<{ pending: number; lastDelivered: number | undefined }>;
  readonly ackWaitMs: number;
  readonly requestTimeoutMs: number;
  readonly lease: (subscription: string) => SubscriptionLease;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'> | undefined;
}

/** How far the NATS server's clock (its last delivery time) may lag this host's without reordering a takeover. */
const SERVER_CLOCK_MARGIN_MS = 1000;

/** An event handed and not acknowledged yet, with the subject its acknowledgement goes to (its latest delivery). */
interface Held {
  readonly event: LoggedEvent;
  reply: string;
}

/**
 * One durable subscription's stream over its JetStream consumer. Of the processes sharing the
 * consumer, one pulls at a time: the holder of the subscription's lease (its `weft_event_cursors`
 * row, as with the memory transport), so events of one partition key are never handled in two
 * processes at once. A holder that died leaves messages handed and unacknowledged; the new holder
 * waits one ack wait before its first pull, so the broker hands those again first, in order.
 */
export class NatsStream implements TransportStream {
  readonly ready: Promise<void>;
  readonly #context: NatsStreamContext;
  readonly #subscription: TransportSubscription;
  readonly #lease: SubscriptionLease;
  readonly #closed: () => void;
  #consumer = '';
  #held: Held[] = [];
  #wake: (() => void) | undefined;
  #scheduled: NodeJS.Immediate | undefined;
  #open = true;
  /** Before this time (ms since the epoch) a new holder does not pull: the former holder's messages are not due yet. */
  #notBefore = 0;
  /** The pull in flight, if any: a close waits for it, so what it brings is handed back before the lease goes. */
  #pulling: Promise<void> | undefined;
  /** The cursor mirror in flight (see `ack`), and the position to mirror after it, if a later ack came meanwhile. */
  #mirroring: Promise<void> | undefined;
  #mirrorNext: number | undefined;
  /** Where the cursor row stands, as far as this holder knows: read with its claim, then moved by its own mirrors. */
  #mirrored = 0;
  /** Events up to here are acknowledged without being handed: a consumer made anew from the stream's start had them. */
  #skipThrough = 0;

  constructor(context: NatsStreamContext, subscription: TransportSubscription, closed: () => void) {
    this.#context = context;
    this.#subscription = subscription;
    this.#lease = context.lease(subscription.name);
    this.#closed = closed;
    this.ready = this.#init();
  }

  /** The subscription's name. */
  get name(): string {
    return this.#subscription.name;
  }

  /** The subscription, as it was subscribed: what its consumer is made from. */
  get subscription(): TransportSubscription {
    return this.#subscription;
  }

  /** The durable consumer this stream pulls from (known once ready). */
  get consumer(): string {
    return this.#consumer;
  }

  onAvailable(wake: () => void): void {
    this.#wake = wake;
  }

  /** Events may be waiting: wakes on the next turn of the event loop, once however many notices came. */
  notice(): void {
    if (!this.#open || this.#wake === undefined) return;
    this.#scheduled ??= setImmediate(() => {
      this.#scheduled = undefined;
      if (this.#open) this.#wake?.();
    });
  }

  /** Nothing while another process holds the subscription; else what this stream holds first, then what waits. */
  async fetch(max: number): Promise<LoggedEvent[]> {
    await this.ready;
    if (!this.#open || !(await this.#holds()) || Date.now() < this.#notBefore) return [];
    // Serves the distributed benchmark (bench/distributed.bench.ts). A fetch pulls what the stream holds now, without
    // waiting for a relay: relaying before every pull held each fetch behind a whole relay run, and waiting for the
    // relay pass in hand (up to eight rounds of publishes, behind a horizon read that waits for the publishers in
    // flight) held every subscription of the relaying process to one group per pass: 400 events/s each, half the
    // benchmark's throughput. Each relay round wakes the streams once its events are in; a fetch relays itself only
    // when its pull found nothing.
    // A holder whose lease runs out while it pulls would take events the next holder then gets only after their ack
    // wait, behind newer ones (seen under load in test/events/nats-processes.*): it pulls only with a margin.
    if (!this.#lease.heldWithMargin) return this.#held.slice(0, max).map((held) => held.event);
    // The pull started at the end of the last fetch (below) brings its events first.
    await this.#pulling;
    try {
      if (this.#held.length < max) await this.#pull(max - this.#held.length);
      if (this.#held.length === 0 && this.#lease.heldWithMargin) {
        await this.#context.relay();
        await this.#pull(max);
      }
    } catch (error) {
      await this.#consumerGone();
      throw error;
    }
    // Nothing left: the position is mirrored before the delivery reports itself done (the backlog reads it then).
    if (this.#held.length === 0) await this.#mirroring;
    const events = this.#held.slice(0, max).map((held) => held.event);
    if (events.length > 0) this.#prefetch(max);
    return events;
  }

  /**
   * Pulls the next group while this one is handled: a pull is a round trip to the server (3 to 4 ms under
   * `npm run bench -- distributed`, a third of a group's time there), so it overlaps the delivery transaction and the
   * acknowledgement instead of following them. After any group that brought events (groups average about 40 there, so
   * waiting for a full one would rarely pull ahead), only while the lease holds with its margin, and at most one group
   * ahead. A failure is logged; the next fetch pulls again and meets it.
   */
  #prefetch(max: number): void {
    if (!this.#open || this.#pulling !== undefined || !this.#lease.heldWithMargin) return;
    const more = 2 * max - this.#held.length;
    if (more <= 0) return;
    this.#pull(more).catch((error: unknown) => {
      this.#context.logger?.warn(
        { err: error, subscription: this.#subscription.name },
        'pulling the next group ahead failed; the next fetch pulls again',
      );
    });
  }

  /**
   * Confirms the lease in the delivery's transaction (the broker keeps the position): refuses, rolling the delivery
   * back, once the lease is lost, or once a replay rewound the subscription. The confirmation writes the cursor row,
   * so a replay that rewound it first fails this delivery, and one that comes after waits for it to commit, and its
   * reset then clears what it did (a delivery committing between the reset and the inbox's clearing would count its
   * event twice).
   */
  async record(events: readonly LoggedEvent[]): Promise<void> {
    if (events.length === 0) return;
    if (!this.#context.db.inTransaction()) {
      throw new UsageError(
        `record() for subscription "${this.#subscription.name}" must run inside the transaction that handled the events.`,
      );
    }
    if (!this.#lease.held) throw new SubscriptionLeaseLostError(this.#subscription.name);
    await this.#lease.confirm();
  }

  /**
   * A replay in this process is about to make the consumer anew: stops pulling (the claim goes; what is held stays,
   * should the replay be refused and roll back) and waits for a pull in flight, which would otherwise wait for an
   * answer from the consumer deleted under it; when another process may hold it, holds off the next claim for a lease.
   */
  async rewinding(): Promise<void> {
    const held = this.#lease.held;
    this.#lease.forget('a replay in this process rewinds it', Number.POSITIVE_INFINITY);
    await this.#pulling;
    // Held here, nobody else held it: the replay may start at once. Else a holder elsewhere that has not learnt of the
    // rewind could pull the new consumer's first events, and whoever claims next must wait for them to come again.
    if (!held) await this.#lease.holdOffClaims();
  }

  /**
   * A replay in this process rewound the subscription and made its consumer anew: the claim older than `epoch` goes.
   * What was pulled from the old consumer goes at the next claim, which continues no earlier one (the rewind moved the
   * epoch): it all comes again from the new consumer.
   */
  rewound(epoch: number): void {
    this.#skipThrough = 0;
    this.#lease.forget('a replay in this process rewound it', epoch);
  }

  /**
   * Acknowledges to the broker and waits for its confirmation of all (ackAck), then mirrors the
   * position to the cursor row, which the backlog figures read and which renews the lease.
   */
  async ack(events: readonly LoggedEvent[]): Promise<void> {
    if (events.length === 0) return;
    const acked = this.#held.slice(0, events.length);
    events.forEach((event, index) => {
      if (acked[index]?.event.envelope.id !== event.envelope.id) {
        throw new UsageError(
          `ack() for subscription "${this.#subscription.name}" must name the oldest unacknowledged events, in order.`,
        );
      }
    });
    const nc = this.#context.nc();
    // One round trip for the group: the consumer takes acknowledgements of one connection in the order sent, so the
    // server's answer to the last one (ackAck) comes once it has taken every one before it.
    for (const held of acked.slice(0, -1)) nc.publish(held.reply, '+ACK');
    const last = acked.at(-1);
    if (last !== undefined) {
      const request = nc.request(last.reply, '+ACK', { timeout: this.#context.requestTimeoutMs });
      try {
        await untilLost(request, this.#context.lost(), `Acknowledging to consumer "${this.#consumer}"`);
      } catch (error) {
        await this.#consumerGone();
        throw error;
      }
    }
    this.#held = this.#held.slice(acked.length);
    if (last !== undefined) this.#mirrorInTurn(last.event.seq);
  }

  fence(): void {
    if (!this.#lease.held) throw new SubscriptionLeaseLostError(this.#subscription.name);
    // Closed, not merely lost: lanes go on committing what is in hand while the client reconnects (acks come later).
    if (this.#context.connectionClosed()) {
      throw new UnavailableError(`The NATS connection of subscription "${this.#subscription.name}" is closed.`);
    }
  }

  /** Stops waking, hands back what it holds (negative acknowledgements: due again at once), and gives the lease up. */
  async close(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    this.#closed();
    // Messages a pull in flight brings are handed out to this process: were the lease given up before they are handed
    // back, the next holder would pull newer ones first and handle a key's events out of order.
    await this.#pulling;
    await this.#mirroring;
    const held = this.#held;
    this.#held = [];
    if (held.length > 0) {
      try {
        const nc = this.#context.nc();
        await Promise.all(held.map((h) => nc.request(h.reply, '-NAK', { timeout: this.#context.requestTimeoutMs })));
      } catch (error) {
        // They come again anyway once the ack wait runs out; the next holder waits for that.
        this.#context.logger?.warn(
          { err: error, subscription: this.#subscription.name },
          'could not hand unacknowledged events back at close; they come again after the ack wait',
        );
      }
    }
    await this.#lease.release();
  }

  /**
   * After a pull or acknowledgement failed: when the consumer is gone, makes it again. A replay that deleted it and
   * could not add it again (NATS went away in between) rolled back, and nothing else would make it while this process
   * runs: every pull and acknowledgement failed until a restart. It is made from the stream's start, and what the
   * cursor row says was acknowledged is skipped as it comes, until a pull comes back short (for a subscription that
   * started at `now`, what came before it too): made at the stream's end, it would skip what was not delivered yet.
   * What was pulled from the deleted consumer goes (acknowledging it can never succeed); the new one hands it again,
   * in order, and the inbox skips what committed since the row's last move. A failure here (NATS away still) only
   * leaves it to the next try.
   */
  async #consumerGone(): Promise<void> {
    if (this.#context.connectionClosed() || this.#context.lost().aborted) return;
    try {
      if (await this.#context.consumerAdded({ ...this.#subscription, startFrom: 'beginning' })) {
        this.#held = [];
        // Read after confirming the lease (a write): a replay rewinding the row meanwhile is waited for, and its new
        // epoch ends the claim; its old position, read beside it, would skip what the replay must hand again.
        this.#skipThrough = await this.#lease.confirm().then(
          async () => Number((await this.#cursorRow())?.seq ?? 0),
          () => 0,
        );
        this.#context.logger?.warn(
          { subscription: this.#subscription.name, consumer: this.#consumer, skipThrough: this.#skipThrough },
          'the subscription’s consumer was gone (a replay that failed after deleting it): made it again',
        );
      }
    } catch (error) {
      this.#context.logger?.warn(
        { err: error, subscription: this.#subscription.name },
        'could not check the subscription’s consumer after a failed pull or acknowledgement',
      );
    }
  }

  /** The subscription's cursor row: who holds it, and the position mirrored there. */
  #cursorRow(): Promise<{ holder: string | null; seq: number } | undefined> {
    return this.#context.db
      .executor()
      .selectFrom('weft_event_cursors')
      .select(['holder', 'seq'])
      .where('subscription', '=', this.#subscription.name)
      .executeTakeFirst();
  }

  /** True while this process holds the subscription; claims it when free, and sets the wait a takeover needs. */
  async #holds(): Promise<boolean> {
    if (this.#lease.held) return true;
    // A lease given up at a clean close (no holder) left its messages handed back; one that ran out may not have.
    const row = await this.#cursorRow();
    const position = await this.#lease.claim();
    if (position === undefined) return false;
    this.#mirrored = position;
    // Never past the row: a replay (in any process) took it back to the start, and every event comes through again.
    this.#skipThrough = Math.min(this.#skipThrough, position);
    // Its own lease ran out (database cut past it) and nobody held it since: what it pulled is still its own, in order.
    if (this.#lease.continued) return true;
    this.#held = [];
    // A position acknowledged under the earlier claim, not mirrored yet, is not this claim's to write (after a replay
    // it would put the row ahead of where the replay stands).
    this.#mirrorNext = undefined;
    // Freed by a clean close, whose messages were handed back. Not after a replay (the holder is REWOUND): a process
    // that held it then may have pulled from the new consumer before it learnt, and those come again only later.
    if (row?.holder == null) return true;
    const handed = await this.#context.handedOut(this.#consumer);
    if (handed.pending === 0) return true;
    // The broker hands the former holder's messages again one ack wait after it last handed any out (only the holder
    // pulls), so that long after, not after the claim: a holder cut off for longer than that is followed at once.
    const now = Date.now();
    const due = (handed.lastDelivered ?? now) + this.#context.ackWaitMs + SERVER_CLOCK_MARGIN_MS;
    this.#notBefore = Math.max(now, due);
    this.#context.logger?.info(
      { subscription: this.#subscription.name, waitMs: this.#notBefore - now },
      'took the subscription over from a process that stopped holding it: waiting for its events to come again',
    );
    return true;
  }

  async #pull(count: number): Promise<void> {
    const pulling = this.#pullInto(count);
    this.#pulling = pulling.catch(() => undefined);
    try {
      await pulling;
    } finally {
      this.#pulling = undefined;
    }
  }

  async #pullInto(count: number): Promise<void> {
    const { nc, stream, requestTimeoutMs } = this.#context;
    const pull = pullWaiting(nc(), stream, this.#consumer, count, requestTimeoutMs);
    const msgs = await untilLost(pull, this.#context.lost(), `Pulling consumer "${this.#consumer}"`);
    for (const msg of msgs) {
      const event = this.#parse(msg);
      if (event === undefined || msg.reply === undefined) continue;
      if (event.seq <= this.#skipThrough) {
        this.#context.nc().publish(msg.reply, '+ACK');
        continue;
      }
      // Handed again while held (its ack wait ran out): the same event, acknowledged through its latest delivery.
      const held = this.#held.find((h) => h.event.envelope.id === event.envelope.id);
      if (held === undefined) this.#held.push({ event, reply: msg.reply });
      else held.reply = msg.reply;
    }
    // Short: the consumer handed all it had, so everything to skip came (in stream order). Kept, it would skip the
    // first events of a consumer a replay in another process makes anew before this holder learns of it.
    if (msgs.length < count) this.#skipThrough = 0;
  }

  /** The event a message carries; a message that is not one is terminated (never handed again) and logged. */
  #parse(msg: Msg): LoggedEvent | undefined {
    try {
      const event = msg.json<LoggedEvent>();
      if (typeof event.seq === 'number' && typeof event.envelope?.id === 'string') return event;
    } catch (error) {
      this.#context.logger?.error({ err: error, subject: msg.subject }, 'a message on the event stream is not JSON');
    }
    this.#context.logger?.error(
      { subject: msg.subject, subscription: this.#subscription.name },
      'a message on the event stream is not a Weft event: terminated, never handed',
    );
    if (msg.reply !== undefined) this.#context.nc().publish(msg.reply, '+TERM');
    return undefined;
  }

  /**
   * Mirrors `seq` without holding up the next delivery: the broker has the position already, and waiting for this
   * write made every group of events wait one more database round trip (npm run bench -- distributed). One write at
   * a time, the latest position next, so the row only moves forward.
   */
  #mirrorInTurn(seq: number): void {
    // The broker hands acknowledged events again when its consumer's state went back (a server killed while writing
    // it restarts with an older or empty one): the row is past them, and a move there changes no row, which
    // moveCursor reads as a lost lease. Every holder in turn then dropped the subscription after one group (the chaos
    // test's NATS kill), and waited out the lease before the next group.
    if (seq <= this.#mirrored) return;
    this.#mirrored = seq;
    this.#mirrorNext = seq;
    this.#mirroring ??= this.#mirrorInOrder();
  }

  async #mirrorInOrder(): Promise<void> {
    try {
      // The check that ends the loop and the reset run in one synchronous step: a position set after it starts anew.
      for (let next = this.#mirrorNext; next !== undefined; next = this.#mirrorNext) {
        this.#mirrorNext = undefined;
        await this.#mirror(next);
      }
    } finally {
      this.#mirroring = undefined;
    }
  }

  /** Keeps the cursor row at the last acknowledged event; the broker's position moved already: a failure only logs. */
  async #mirror(seq: number): Promise<void> {
    try {
      await this.#lease.moveCursor(seq);
    } catch (error) {
      this.#context.logger?.warn(
        { err: error, subscription: this.#subscription.name, seq },
        'could not mirror the acknowledged position to the cursor row (backlog figures lag until the next one)',
      );
    }
  }

  /** Makes the cursor row (the lease, and the position the backlog reads) and the durable consumer when new. */
  async #init(): Promise<void> {
    const { db } = this.#context;
    const name = this.#subscription.name;
    const seq =
      this.#subscription.startFrom === 'now'
        ? Number(
            (
              await db
                .executor()
                .selectFrom('weft_event_log')
                .select((eb) => eb.fn.max('seq').as('seq'))
                .executeTakeFirst()
            )?.seq ?? 0,
          )
        : 0;
    // `now` means after what was committed before: those must be in the stream before the consumer starts at its end.
    await this.#context.relayThrough(seq);
    await db
      .executor()
      .insertInto('weft_event_cursors')
      .values({ subscription: name, seq, updated_at: new Date().toISOString() })
      .onConflict((oc) => oc.column('subscription').doNothing())
      .execute();
    this.#consumer = await this.#context.consumer(this.#subscription);
  }
}
