import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Gauge } from 'prom-client';
import type { Logger } from 'pino';
import type { Database } from '../../database/internal.js';
import { ConfigError, NotFoundError, UnavailableError } from '../../errors/internal.js';
import type { WeftMetrics } from '../../monitoring/internal.js';
import { EventLogQueries } from '../event-log-queries.js';
import type { EventTables } from '../event-tables.js';
import { SubscriptionLease } from '../subscription-lease.js';
import type { Transport, TransportStream, TransportSubscription } from '../transport.js';
import { EventRelay } from './event-relay.js';
import { deploymentIdOf } from './deployment.js';
import {
  assertStreamHoldsLogStart,
  consumerAdded,
  ensureConsumer,
  ensureStream,
  restartConsumer,
} from './jetstream-setup.js';
import { checkStreamName, checkSubjectPrefix, natsNamesOf } from './names.js';
import { NatsStream, type NatsStreamContext } from './nats-stream.js';
import { untilLost } from './until-lost.js';

/** Options of a NatsTransport. */
export interface NatsTransportOptions {
  /** The NATS server: `nats://host:port`. */
  readonly url: string;
  readonly db: Pick<Database<unknown>, 'withTables'>;
  /**
   * This deployment's name on a NATS server that other deployments (other databases) share: its events go to stream
   * `WEFT_EVENTS_<namespace>` on subjects `weft.ns.<namespace>.*` (see `natsNamesOf`), unless `stream` or
   * `subjectPrefix` say otherwise. Without one, deployments on one server consume each other's events.
   */
  readonly namespace?: string;
  /** The JetStream stream the event log is relayed to; made when missing. Default `WEFT_EVENTS` (see `namespace`). */
  readonly stream?: string;
  /** Events of type `system.event` go to subject `<prefix>.system.event`. Default `weft.events` (see `namespace`). */
  readonly subjectPrefix?: string;
  /**
   * How long a relay may take to publish an event again after a first try (a relay that died and the
   * next pass): the stream's duplicate window must be longer. Default 60 000 ms; a stream made here gets twice it.
   */
  readonly relayRetryHorizonMs?: number;
  /**
   * How long a handed message may go unacknowledged before the broker hands it again (the consumer's ack wait, set
   * when it is made). A takeover waits for the former holder's messages until one ack wait after its last pull, so
   * keep it under the lease less a second (as the default is) and a takeover never waits past the lease. Default 3000.
   */
  readonly ackWaitMs?: number;
  /** How often streams look for events and lease changes, and the relay for events of other processes. Default 1000. */
  readonly pollIntervalMs?: number;
  /** How long a process's claim on a subscription lasts unrenewed (see SubscriptionLease). Default 5000 ms. */
  readonly leaseMs?: number;
  /** How long a request to NATS (a pull, an acknowledgement, a publish) may wait for its answer. Default 5000 ms. */
  readonly requestTimeoutMs?: number;
  /** Events relayed per pass. Default 256. */
  readonly relayBatch?: number;
  /** Where the consumer lag gauge goes (`weft_nats_consumer_pending`). */
  readonly metrics?: WeftMetrics;
  readonly logger?: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
}

const LAG_GAUGE = 'weft_nats_consumer_pending';
/** Whether the transport's connection to NATS is up: what the built-in `weft.nats_unavailable` alert reads. */
const UP_GAUGE = 'weft_nats_up';
/**
 * How soon a relay that found another process relaying looks again (or the poll interval, when shorter): the other
 * pass may end without the events this process just committed.
 */
const BUSY_RETRY_MS = 20;

/**
 * The NATS JetStream transport. Publishing is unchanged: events go to the event log in the
 * publisher's transaction (the outbox). A relay (EventRelay) publishes committed events to one
 * JetStream stream in log order, deduplicated by event id; each durable subscription is a durable
 * pull consumer shared by every process, pulled by one process at a time (NatsStream). A message is
 * handled as with the memory transport (handler and inbox row in one transaction) and acknowledged
 * once that committed. A core NATS message after each relay pass wakes the streams of every process.
 */
export class NatsTransport implements Transport {
  /**
   * Positions are the broker's consumers (the cursor rows mirror them); a replay makes the consumer anew from the start
   * of the stream (`rewind`), fenced by the cursor row's lease, which every delivery confirms (NatsStream.record).
   */
  readonly rewindable = true;
  /** Resolves once connected and the stream is there with a long enough duplicate window; rejects when not. */
  readonly started: Promise<void>;
  readonly #options: Required<Omit<NatsTransportOptions, 'metrics' | 'logger' | 'namespace'>>;
  readonly #logger: NatsTransportOptions['logger'];
  readonly #db: Database<EventTables>;
  readonly #streams = new Set<NatsStream>();
  readonly #queries: EventLogQueries;
  readonly #lag: Gauge<'subscription'> | undefined;
  /** 1 while connected, 0 while the connection is lost or closed; one series per registry (the latest transport's). */
  readonly #up: Gauge | undefined;
  #nc: NatsConnection | undefined;
  #jsm: JetStreamManager | undefined;
  #relay: EventRelay | undefined;
  #poller: NodeJS.Timeout | undefined;
  #lastLag = 0;
  /** Set while a lag read waits for its answers: the next poll skips its read rather than pile one more on. */
  #readingLag = false;
  #relaying = false;
  #closed = false;
  /** Set while the connection is lost and the client reconnects: readiness fails at once then. */
  #disconnected = false;
  /** Aborted when the connection drops (a fresh one after each reconnection): requests in flight stop waiting. */
  #lost = new AbortController();

  /** Connects and checks the stream, and resolves the transport; rejects (having closed it) when either fails. */
  static async connect(options: NatsTransportOptions): Promise<NatsTransport> {
    const transport = new NatsTransport(options);
    try {
      await transport.started;
    } catch (error) {
      await transport.close();
      throw error;
    }
    return transport;
  }

  constructor(options: NatsTransportOptions) {
    if (!/^nats:\/\/[^\s/:]+:\d{1,5}$/.test(options.url)) {
      throw new ConfigError(`Invalid NATS URL "${options.url}": must be nats://host:port (nats://127.0.0.1:4222).`);
    }
    const horizon = options.relayRetryHorizonMs ?? 60_000;
    const names = natsNamesOf(options.namespace);
    this.#options = {
      url: options.url,
      db: options.db,
      stream: checkStreamName(options.stream ?? names.stream),
      subjectPrefix: checkSubjectPrefix(options.subjectPrefix ?? names.subjectPrefix),
      relayRetryHorizonMs: horizon,
      ackWaitMs: options.ackWaitMs ?? 3000,
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      leaseMs: options.leaseMs ?? 5000,
      requestTimeoutMs: options.requestTimeoutMs ?? 5000,
      relayBatch: options.relayBatch ?? 256,
    };
    this.#logger = options.logger;
    this.#db = options.db.withTables<EventTables>();
    this.#queries = new EventLogQueries(() => this.#db.executor());
    this.#lag = options.metrics === undefined ? undefined : lagGauge(options.metrics);
    this.#up = options.metrics === undefined ? undefined : upGauge(options.metrics);
    this.started = this.#start();
    // Reported to whoever waits on it (connect(), a stream's ready); logged here so it is never lost.
    this.started.catch((error: unknown) => this.#logger?.error({ err: error }, 'the NATS transport did not start'));
  }

  /** The server's URL. */
  get url(): string {
    return this.#options.url;
  }

  committed(): void {
    if (this.#relay === undefined) return;
    this.#relaying = true;
    // Nothing would answer; the reconnection relays at once.
    if (this.#disconnected) return;
    this.#relay.run().catch((error: unknown) => this.#logger?.warn({ err: error }, 'relaying events to NATS failed'));
  }

  subscribe(subscription: TransportSubscription): TransportStream {
    const stream = new NatsStream(this.#context(), subscription, () => this.#streams.delete(stream));
    this.#streams.add(stream);
    return stream;
  }

  /**
   * Inside a replay's transaction, once the cursor row is rewound: makes the subscription's consumer anew from the
   * start of the stream (refused when the stream lost its first events). When another process may hold the
   * subscription, the row is claimable only once that lease is surely over: a holder that has not yet learnt of the
   * rewind could pull the new consumer's first events meanwhile, and whoever claims next waits for them to come
   * again, in order. When this process held it, nobody else did, and the replay starts at once.
   */
  async rewind(subscription: string): Promise<void> {
    const stream = [...this.#streams].find((s) => s.name === subscription);
    if (stream === undefined) throw new NotFoundError(`No durable subscription is named "${subscription}" here.`);
    await this.started;
    // Before this process lets go of the subscription: a refusal then changes nothing, its deliveries included.
    await assertStreamHoldsLogStart(this.#manager(), this.#options.stream, stream.subscription);
    await stream.rewinding();
    await restartConsumer(this.#manager(), this.#options, stream.subscription);
  }

  /** Resolves when NATS answers a round trip; rejects with UnavailableError when it does not (a readiness check). */
  async ping(): Promise<void> {
    const nc = this.#nc;
    if (nc === undefined || nc.isClosed() || this.#disconnected) {
      throw new UnavailableError(`NATS at ${this.#options.url} is not connected.`);
    }
    try {
      await Promise.race([
        nc.flush(),
        sleep(this.#options.requestTimeoutMs, undefined, { ref: false }).then(() => {
          throw new Error(`no answer within ${this.#options.requestTimeoutMs} ms`);
        }),
      ]);
    } catch (error) {
      throw new UnavailableError(`NATS at ${this.#options.url} does not answer.`, { cause: error });
    }
  }

  /** Stops polling and closes the connection; the bus closed the streams first. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#up?.set(0);
    clearInterval(this.#poller);
    await this.started.catch(() => undefined);
    // Its failure was logged by whoever started it; closing only waits for its end.
    this.#relay?.stop();
    await this.#relay?.settled();
    const nc = this.#nc;
    if (nc !== undefined && !nc.isClosed()) await nc.close();
  }

  async #start(): Promise<void> {
    const { url, stream, subjectPrefix } = this.#options;
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: url,
        name: 'weft',
        maxReconnectAttempts: -1,
        timeout: this.#options.requestTimeoutMs,
      });
    } catch (error) {
      throw new UnavailableError(`NATS at ${url} is unreachable (WEFT_EVENTS_TRANSPORT): ${String(error)}`, {
        cause: error,
      });
    }
    this.#nc = nc;
    this.#up?.set(1);
    this.#watch(nc).catch((error: unknown) => this.#logger?.warn({ err: error }, 'stopped following the NATS status'));
    if (this.#closed) return;
    try {
      this.#jsm = await jetstreamManager(nc, { timeout: this.#options.requestTimeoutMs });
    } catch (error) {
      throw new UnavailableError(`NATS at ${url} has no JetStream (start nats-server with -js).`, { cause: error });
    }
    await ensureStream(this.#manager(), { ...this.#options, deployment: await deploymentIdOf(this.#options.db) });
    this.#relay = new EventRelay({
      db: this.#options.db,
      nc,
      stream,
      subjectPrefix,
      batch: this.#options.relayBatch,
      publishTimeoutMs: this.#options.requestTimeoutMs,
      logger: this.#logger,
      lost: () => this.#lost.signal,
      published: () => nc.publish(wakeSubject(subjectPrefix)),
      busyRetryMs: Math.min(this.#options.pollIntervalMs, BUSY_RETRY_MS),
    });
    nc.subscribe(wakeSubject(subjectPrefix), { callback: () => this.#notice() });
    this.#poller = setInterval(() => this.#poll(), this.#options.pollIntervalMs);
    this.#poller.unref();
  }

  /** Follows the connection: logs each loss and return, and keeps `ping` failing while it is lost. */
  async #watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        this.#disconnected = true;
        this.#up?.set(0);
        this.#lost.abort();
        this.#logger?.warn({ server: status.server }, 'lost the NATS connection; reconnecting');
      } else if (status.type === 'reconnect') {
        this.#disconnected = false;
        this.#up?.set(1);
        this.#lost = new AbortController();
        this.#logger?.info({ server: status.server }, 'reconnected to NATS');
        // Relay what piled up and wake the streams now, not at the next poll.
        if (this.#relaying || this.#streams.size > 0) this.committed();
        this.#notice();
      }
    }
  }

  async #consumer(subscription: TransportSubscription): Promise<string> {
    await this.started;
    return ensureConsumer(this.#manager(), this.#options, subscription);
  }

  #context(): NatsStreamContext {
    return {
      nc: () => this.#connection(),
      connectionClosed: () => this.#nc === undefined || this.#nc.isClosed(),
      lost: () => this.#lost.signal,
      stream: this.#options.stream,
      db: this.#db,
      relay: () => this.#relayNow(),
      relayThrough: (seq) => this.#relayThrough(seq),
      consumer: (subscription) => this.#consumer(subscription),
      consumerAdded: (subscription) => consumerAdded(this.#manager(), this.#options, subscription),
      handedOut: async (consumer) => {
        const info = await this.#manager().consumers.info(this.#options.stream, consumer);
        return { pending: info.num_ack_pending, lastDelivered: timeOf(info.delivered.last_active) };
      },
      ackWaitMs: this.#options.ackWaitMs,
      requestTimeoutMs: this.#options.requestTimeoutMs,
      lease: (subscription) =>
        new SubscriptionLease({
          db: this.#db,
          queries: this.#queries,
          subscription,
          leaseMs: this.#options.leaseMs,
          logger: this.#logger,
        }),
      logger: this.#logger,
    };
  }

  async #relayNow(): Promise<void> {
    await this.started;
    if (this.#disconnected) throw new UnavailableError(`NATS at ${this.#options.url} is not connected: reconnecting.`);
    await this.#relay?.pass();
  }

  /** Relays, and waits while another process relays, until the stream holds the log up to `seq`. */
  async #relayThrough(seq: number): Promise<void> {
    await this.started;
    const relay = this.#relay;
    if (relay === undefined) return;
    const deadline = Date.now() + this.#options.requestTimeoutMs;
    for (;;) {
      await relay.run();
      if ((await relay.position()) >= seq) return;
      if (Date.now() > deadline) {
        throw new UnavailableError(`The event relay to NATS did not reach event ${seq} within the request timeout.`);
      }
      await sleep(Math.min(this.#options.pollIntervalMs, 50));
    }
  }

  #notice(): void {
    for (const stream of this.#streams) stream.notice();
  }

  /** Relays what other processes committed (once this process has a reason to), wakes the streams, reports the lag. */
  #poll(): void {
    if (this.#closed) return;
    if (this.#relaying || this.#streams.size > 0) this.committed();
    this.#notice();
    const now = Date.now();
    if (this.#lag !== undefined && now - this.#lastLag >= Math.max(this.#options.pollIntervalMs, 1000)) {
      this.#lastLag = now;
      void this.#reportLag(this.#lag);
    }
  }

  /** The consumer lag gauge: events a subscription has not acknowledged yet, pending and handed out. */
  async #reportLag(gauge: Gauge<'subscription'>): Promise<void> {
    if (this.#readingLag) return;
    this.#readingLag = true;
    try {
      for (const stream of this.#streams) {
        // Nothing answers while the connection is lost, and #watch logged the loss once: the gauge keeps its last
        // figures until a poll after the return reads them again.
        if (this.#disconnected) return;
        if (stream.consumer === '') continue;
        try {
          const info = await untilLost(
            this.#manager().consumers.info(this.#options.stream, stream.consumer),
            this.#lost.signal,
            `Reading the lag of consumer "${stream.consumer}"`,
          );
          gauge.set({ subscription: stream.name }, info.num_pending + info.num_ack_pending);
        } catch (error) {
          if (this.#disconnected) return;
          this.#logger?.warn({ err: error, consumer: stream.consumer }, 'could not read a NATS consumer lag');
        }
      }
    } finally {
      this.#readingLag = false;
    }
  }

  /**
   * The connection, refused while it is lost: a request sent then is buffered by the client and, by what the chaos
   * tests saw, never answered after the reconnection, so it would hold its caller for a whole request timeout.
   */
  #connection(): NatsConnection {
    if (this.#nc === undefined) throw new UnavailableError(`NATS at ${this.#options.url} is not connected yet.`);
    if (this.#disconnected) throw new UnavailableError(`NATS at ${this.#options.url} is not connected: reconnecting.`);
    return this.#nc;
  }

  #manager(): JetStreamManager {
    if (this.#jsm === undefined) throw new UnavailableError(`NATS at ${this.#options.url} is not connected yet.`);
    return this.#jsm;
  }
}

/** The core NATS subject a relay pass announces itself on (outside the stream's subjects, so never stored). */
function wakeSubject(prefix: string): string {
  return `${prefix}_wake`;
}

/**
 * A consumer's last delivery time in ms since the epoch: the server sends an RFC 3339 time (the client library types it
 * as a number); undefined when absent or unreadable, and the caller then waits a whole ack wait.
 */
function timeOf(lastActive: unknown): number | undefined {
  if (typeof lastActive !== 'string') return undefined;
  const ms = Date.parse(lastActive);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The lag gauge, made once per metrics registry however many transports share it. */
function lagGauge(metrics: WeftMetrics): Gauge<'subscription'> {
  const existing = metrics.registry.getSingleMetric(LAG_GAUGE) as Gauge<'subscription'> | undefined;
  return (
    existing ??
    metrics.gauge({
      name: LAG_GAUGE,
      help: 'Events a durable subscription has not acknowledged yet on NATS JetStream (pending and handed out).',
      labelNames: ['subscription'],
    })
  );
}

function upGauge(metrics: WeftMetrics): Gauge {
  const existing = metrics.registry.getSingleMetric(UP_GAUGE) as Gauge | undefined;
  return existing ?? metrics.gauge({ name: UP_GAUGE, help: 'Whether the connection to NATS is up (1) or not (0).' });
}
