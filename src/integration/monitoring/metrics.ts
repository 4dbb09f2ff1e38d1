import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ConfigError } from '../errors/internal.js';
import type { PoolStats, QueryEvent } from '../database/internal.js';
import { DeliveryLag, type DeliveryLagOptions } from './delivery-lag.js';
import { SeriesCounter, SeriesHistogram, type HistogramSeries } from './series-instruments.js';

/** Buckets for durations in milliseconds: from sub-millisecond queries to 10-second stalls. */
export const MILLISECOND_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

const NAME = /^weft_[a-z][a-z0-9_]*$/;

/** What `watchDatabase` reads: a ping and pool figures. */
type WatchedDatabase = { poolStats(): PoolStats; ping(options?: { timeoutMs?: number }): Promise<void> };

/** What a custom instrument is declared with. Label values must come from a small set: never ids. */
export interface InstrumentOptions<L extends string> {
  /** `weft_` prefixed snake_case; counters end in `_total`. */
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
}

/**
 * Weft's metrics: prom-client with Weft's own Registry (never the global one), the instruments
 * the parts record pre-registered, process metrics, and the database's query and pool figures.
 */
export class WeftMetrics {
  readonly registry = new Registry();

  readonly eventsPublished = this.seriesCounter({
    name: 'weft_events_published_total',
    help: 'Events published, by type.',
    labelNames: ['type'],
  });
  readonly eventsDelivered = this.seriesCounter({
    name: 'weft_events_delivered_total',
    help: 'Events a subscription handled successfully.',
    labelNames: ['type', 'subscription'],
  });
  readonly eventsFailed = this.seriesCounter({
    name: 'weft_events_failed_total',
    help: 'Handler attempts that threw.',
    labelNames: ['type', 'subscription'],
  });
  readonly eventsRetried = this.seriesCounter({
    name: 'weft_events_retried_total',
    help: 'Deliveries scheduled again after a failure.',
    labelNames: ['type', 'subscription'],
  });
  readonly eventsDeadLettered = this.seriesCounter({
    name: 'weft_events_dead_lettered_total',
    help: 'Events moved to the dead-letter table after their last retry.',
    labelNames: ['type', 'subscription'],
  });
  readonly handlerDuration = this.seriesHistogram({
    name: 'weft_handler_duration_ms',
    help: 'Time a subscription handler took, in ms.',
    labelNames: ['type', 'subscription'],
  });
  readonly transactionDuration = this.seriesHistogram({
    name: 'weft_transaction_duration_ms',
    help: 'Time a state transaction took, in ms.',
    labelNames: ['system'],
  });
  readonly transactionCommits = this.seriesCounter({
    name: 'weft_transaction_commits_total',
    help: 'State transactions committed.',
    labelNames: ['system'],
  });
  readonly transactionRollbacks = this.counter({
    name: 'weft_transaction_rollbacks_total',
    help: 'State transactions rolled back.',
    labelNames: ['system'],
  });
  readonly stateCallbacks = this.counter({
    name: 'weft_state_callbacks_total',
    help: 'State callbacks (onChange, onSuccess, onError) run, by outcome: ok, error, timeout.',
    labelNames: ['system', 'callback', 'outcome'],
  });
  readonly transactionConflicts = this.counter({
    name: 'weft_transaction_conflicts_total',
    help: 'State writes that met a version conflict.',
    labelNames: ['system'],
  });
  readonly validationFailures = this.counter({
    name: 'weft_validation_failures_total',
    help: 'Values that failed validation, by schema.',
    labelNames: ['schema'],
  });
  readonly queryDuration = this.seriesHistogram({
    name: 'weft_db_query_duration_ms',
    help: 'Database statement time in ms, by operation.',
    labelNames: ['operation', 'outcome'],
  });
  readonly #lags = new Map<string, DeliveryLag>();
  readonly #lagOptions: DeliveryLagOptions;
  /**
   * Durable subscriptions' delivery lag. Read at scrape time from each subscription's `deliveryLag(name)`, which
   * overwrites its series then; a value `set` by hand stays only on a subscription that has none.
   */
  readonly eventDeliveryLag: Gauge<'subscription'> = new Gauge({
    name: 'weft_event_delivery_lag_ms',
    help: 'Age of the oldest event a durable subscription has started on and not finished with, in ms; 0 once caught up.',
    labelNames: ['subscription'],
    registers: [this.registry],
    collect: () => {
      for (const [subscription, lag] of this.#lags) this.eventDeliveryLag.set({ subscription }, lag.ageMs());
    },
  });
  readonly #queues = new Map<string, () => number>();
  #database: WatchedDatabase | undefined;
  readonly eventQueueDepth = new Gauge({
    name: 'weft_event_queue_depth',
    help: 'Volatile events waiting in a subscription queue.',
    labelNames: ['subscription'],
    registers: [this.registry],
    // Read at scrape time from the queues watched, so enqueueing costs nothing here.
    collect: () => {
      for (const [subscription, depth] of this.#queues) this.eventQueueDepth.set({ subscription }, depth());
    },
  });
  readonly eventsDropped = this.seriesCounter({
    name: 'weft_events_dropped_total',
    help: 'Volatile events dropped because a subscription queue was full.',
    labelNames: ['type', 'subscription'],
  });
  readonly eventsUnregistered = this.counter({
    name: 'weft_events_unregistered_total',
    help: 'Seed-style dispatches of a type that has no definition.',
  });
  readonly alertChannelFailures = this.counter({
    name: 'weft_alert_channel_failures_total',
    help: 'Alert notifications a channel failed to deliver.',
    labelNames: ['channel'],
  });
  // Every command and every HTTP request records one: series instruments, as prom-client's hashing of the labels on
  // each observation showed in an authenticated read's profile (`npm run bench -- http`).
  readonly operationDuration = this.seriesHistogram({
    name: 'weft_operation_duration_ms',
    help: 'Time a named operation (a command, a job) took, in ms, by outcome.',
    labelNames: ['operation', 'outcome'],
  });
  readonly httpRequestDuration = this.seriesHistogram({
    name: 'weft_http_request_duration_ms',
    help: 'HTTP request time in ms, by route and status.',
    labelNames: ['method', 'route', 'status'],
  });

  /** `deliveryLag`: the lags' hold and clock (tests). */
  constructor(options: { readonly deliveryLag?: DeliveryLagOptions } = {}) {
    this.#lagOptions = options.deliveryLag ?? {};
  }

  /** Runs `fn`, recording its duration under `operation` with outcome ok or error; performance budgets read this. */
  async timeOperation<T>(operation: string, fn: () => Promise<T> | T): Promise<T> {
    const started = performance.now();
    let outcome = 'error';
    try {
      const result = await fn();
      outcome = 'ok';
      return result;
    } finally {
      this.operationDuration.observe({ operation, outcome }, performance.now() - started);
    }
  }

  /** Adds Node.js process metrics (CPU, memory, event-loop lag, GC, handles) to this registry, prefixed `weft_`. */
  collectProcessMetrics(): void {
    collectDefaultMetrics({ register: this.registry, prefix: 'weft_' });
  }

  /** The `onQuery` hook for `createDatabase`: times each statement by operation (select, insert, commit, ...). */
  queryObserver(): (event: QueryEvent) => void {
    // Statements repeat (most are compiled once), so each text is classified once, to the series it is observed in
    // (prom-client hashes labels on every `labels` call); the cache is dropped when it grows large.
    const series = new Map<string, { ok: HistogramSeries; error: HistogramSeries }>();
    return (event) => {
      let observed = series.get(event.sql);
      if (observed === undefined) {
        if (series.size >= 1000) series.clear();
        const operation = operationOf(event.sql);
        observed = {
          ok: this.queryDuration.labels({ operation, outcome: 'ok' }),
          error: this.queryDuration.labels({ operation, outcome: 'error' }),
        };
        series.set(event.sql, observed);
      }
      (event.error === undefined ? observed.ok : observed.error).observe(event.durationMs);
    };
  }

  /**
   * Exports a database's pool (size, connections in use, callers waiting) and `weft_db_up`
   * (1 when it answers a ping within a second), read at each scrape or alert evaluation.
   */
  watchDatabase(db: WatchedDatabase): void {
    // Gauges are made once; watching another database (a monitoring manager shared by several
    // integrations, a restart in tests) points them at the latest one.
    const first = this.#database === undefined;
    this.#database = db;
    if (!first) return;
    const watched = (): WatchedDatabase | undefined => this.#database;
    new Gauge({
      name: 'weft_db_up',
      help: 'Whether the database answers (1) or not (0).',
      registers: [this.registry],
      async collect() {
        const current = watched();
        this.set(
          current === undefined
            ? 0
            : await current.ping({ timeoutMs: 1000 }).then(
                () => 1,
                () => 0,
              ),
        );
      },
    });
    const read = (key: keyof PoolStats) =>
      function (this: Gauge) {
        this.set(watched()?.poolStats()[key] ?? 0);
      };
    new Gauge({
      name: 'weft_db_pool_size',
      help: 'Database connections open.',
      registers: [this.registry],
      collect: read('size'),
    });
    new Gauge({
      name: 'weft_db_pool_in_use',
      help: 'Database connections lent out.',
      registers: [this.registry],
      collect: read('inUse'),
    });
    new Gauge({
      name: 'weft_db_pool_waiting',
      help: 'Callers waiting for a database connection.',
      registers: [this.registry],
      collect: read('waiting'),
    });
    new Gauge({
      name: 'weft_db_transactions_waiting',
      help: 'Outermost transactions waiting their turn: for a connection, their commit group, or their next attempt.',
      registers: [this.registry],
      collect: read('transactionsWaiting'),
    });
  }

  /** A counter in this registry; the name must be `weft_` prefixed and end in `_total`. */
  counter<L extends string = never>(options: InstrumentOptions<L>): Counter<L> {
    checkName(options.name, '_total');
    return new Counter({
      name: options.name,
      help: options.help,
      labelNames: options.labelNames ?? [],
      registers: [this.registry],
    });
  }

  /**
   * A counter like `counter`, whose series a hot path looks up once (`labels(...)`) and then
   * increments for the price of a number add.
   */
  seriesCounter<L extends string = never>(options: InstrumentOptions<L>): SeriesCounter<L> {
    checkName(options.name, '_total');
    return new SeriesCounter(options.name, options.help, options.labelNames ?? [], this.registry);
  }

  /** A histogram like `histogram`, whose series a hot path looks up once (`labels(...)`). */
  seriesHistogram<L extends string = never>(
    options: InstrumentOptions<L> & { readonly buckets?: readonly number[] },
  ): SeriesHistogram<L> {
    checkName(options.name);
    return new SeriesHistogram(
      options.name,
      options.help,
      options.labelNames ?? [],
      options.buckets ?? MILLISECOND_BUCKETS,
      this.registry,
    );
  }

  /** Reports `depth()` as a subscription's queue depth at each scrape, until the returned function is called. */
  watchQueueDepth(subscription: string, depth: () => number): () => void {
    this.#queues.set(subscription, depth);
    return () => {
      if (this.#queues.get(subscription) !== depth) return;
      this.#queues.delete(subscription);
      this.eventQueueDepth.remove({ subscription });
    };
  }

  /**
   * The delivery lag of the durable subscription `subscription`, exported as `weft_event_delivery_lag_ms` from now on
   * (0 until its handlers start on something). Made on the first call; every later call for the name (another engine
   * of it: a restart, a second bus on this registry) shares it.
   */
  deliveryLag(subscription: string): DeliveryLag {
    let lag = this.#lags.get(subscription);
    if (lag === undefined) {
      lag = new DeliveryLag(this.#lagOptions);
      this.#lags.set(subscription, lag);
    }
    return lag;
  }

  /** A gauge in this registry. */
  gauge<L extends string = never>(options: InstrumentOptions<L>): Gauge<L> {
    checkName(options.name);
    return new Gauge({
      name: options.name,
      help: options.help,
      labelNames: options.labelNames ?? [],
      registers: [this.registry],
    });
  }

  /** A histogram in this registry, in milliseconds unless other buckets are given. */
  histogram<L extends string = never>(
    options: InstrumentOptions<L> & { readonly buckets?: readonly number[] },
  ): Histogram<L> {
    checkName(options.name);
    return new Histogram({
      name: options.name,
      help: options.help,
      labelNames: options.labelNames ?? [],
      buckets: [...(options.buckets ?? MILLISECOND_BUCKETS)],
      registers: [this.registry],
    });
  }

  /** Everything in Prometheus text format, for `GET /metrics`. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The content type of `text()`. */
  get contentType(): string {
    return this.registry.contentType;
  }
}

function checkName(name: string, suffix?: string): void {
  if (!NAME.test(name) || (suffix !== undefined && !name.endsWith(suffix))) {
    throw new ConfigError(
      `Metric name ${JSON.stringify(name)} must be weft_ prefixed snake_case${suffix === undefined ? '' : ` ending in ${suffix}`}.`,
    );
  }
}

const OPERATIONS = new Set([
  'select',
  'insert',
  'update',
  'delete',
  'begin',
  'start',
  'commit',
  'rollback',
  'savepoint',
  'release',
  'create',
  'drop',
  'alter',
  'with',
  'pragma',
]);

/** The first keyword of a statement, from a small fixed set: the label must never carry SQL text. */
function operationOf(sql: string): string {
  const match = /^\s*([A-Za-z]+)/.exec(sql);
  const keyword = match?.[1]?.toLowerCase() ?? '';
  return OPERATIONS.has(keyword) ? keyword : 'other';
}
