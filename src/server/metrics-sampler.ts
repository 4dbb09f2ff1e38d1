import type { Registry } from 'prom-client';
import type { FastifyBaseLogger } from 'fastify';
import { readMetric, type SeriesReading } from './metric-readings.js';

/** One point of the throughput plots. */
export interface ThroughputSample {
  readonly at: string;
  readonly eventsPerSecond: number;
  readonly deliveriesPerSecond: number;
  readonly deliveryLagMs: number;
  /** Undefined when no handler ran between the two readings. */
  readonly handlerP99Ms?: number;
}

/** How the sampler reads; tests sample faster. */
export interface MetricsSamplerOptions {
  /** Between two readings, in ms. Default 5000. */
  readonly intervalMs?: number;
  /** Samples kept (the oldest go first). Default 120: ten minutes at the default interval. */
  readonly size?: number;
}

/** The counters read at one moment, to subtract from the next reading. */
interface Reading {
  readonly time: number;
  readonly published: number;
  readonly delivered: number;
  readonly lagMs: number;
  /** Handler-time histogram: upper bound -> cumulative count, summed over every series. */
  readonly buckets: ReadonlyMap<number, number>;
}

/**
 * The server's recent throughput, from its own metrics: every `intervalMs` it reads events published
 * and delivered, the delivery lag and the handler-time histogram, and keeps the rates and the p99
 * between readings in a bounded ring. What `GET /admin/metrics/recent` answers.
 */
export class MetricsSampler {
  readonly intervalMs: number;
  readonly #size: number;
  readonly #registry: Registry;
  readonly #log: Pick<FastifyBaseLogger, 'warn'>;
  readonly #samples: ThroughputSample[] = [];
  #previous: Reading | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reading: Promise<void> | undefined;

  constructor(registry: Registry, log: Pick<FastifyBaseLogger, 'warn'>, options: MetricsSamplerOptions = {}) {
    this.#registry = registry;
    this.#log = log;
    this.intervalMs = options.intervalMs ?? 5000;
    this.#size = options.size ?? 120;
  }

  /** Starts reading on the interval (the first reading is the baseline); a second call does nothing. */
  start(): void {
    if (this.#timer !== undefined) return;
    void this.sample();
    this.#timer = setInterval(() => void this.sample(), this.intervalMs);
    // A sampler alone never keeps the process alive.
    this.#timer.unref();
  }

  /** Stops reading and waits for a reading under way. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#reading;
  }

  /** The samples kept, oldest first. */
  recent(): readonly ThroughputSample[] {
    return [...this.#samples];
  }

  /** Takes one reading now and, after the first, records a sample; a failed reading is logged and skipped. */
  sample(): Promise<void> {
    this.#reading ??= this.#read()
      .catch((error: unknown) => this.#log.warn({ err: error }, 'metrics sample skipped: reading failed'))
      .finally(() => (this.#reading = undefined));
    return this.#reading;
  }

  async #read(): Promise<void> {
    const [published, delivered, lag, handler] = await Promise.all([
      readMetric(this.#registry, 'weft_events_published_total'),
      readMetric(this.#registry, 'weft_events_delivered_total'),
      readMetric(this.#registry, 'weft_event_delivery_lag_ms'),
      readMetric(this.#registry, 'weft_handler_duration_ms'),
    ]);
    const reading: Reading = {
      time: Date.now(),
      published: sum(published),
      delivered: sum(delivered),
      lagMs: Math.max(0, ...lag.map((series) => series.value)),
      buckets: bucketsOf(handler, 'weft_handler_duration_ms_bucket'),
    };
    const previous = this.#previous;
    this.#previous = reading;
    if (previous === undefined) return;
    const seconds = (reading.time - previous.time) / 1000;
    if (seconds <= 0) return;
    const p99 = quantile(previous.buckets, reading.buckets, 0.99);
    this.#samples.push({
      at: new Date(reading.time).toISOString(),
      // A counter that went down was reset (a new registry): the rate starts again from zero.
      eventsPerSecond: Math.max(0, reading.published - previous.published) / seconds,
      deliveriesPerSecond: Math.max(0, reading.delivered - previous.delivered) / seconds,
      deliveryLagMs: reading.lagMs,
      ...(p99 === undefined ? {} : { handlerP99Ms: p99 }),
    });
    if (this.#samples.length > this.#size) this.#samples.shift();
  }
}

function sum(readings: readonly SeriesReading[]): number {
  return readings.reduce((total, series) => total + series.value, 0);
}

/** A histogram's cumulative buckets, summed over its series. */
function bucketsOf(readings: readonly SeriesReading[], bucketName: string): Map<number, number> {
  const buckets = new Map<number, number>();
  for (const series of readings) {
    if (series.name !== bucketName) continue;
    const le = series.labels.le;
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + series.value);
  }
  return buckets;
}

/**
 * The `q` quantile of what was observed between two readings of a histogram: the smallest bucket bound
 * holding that share of the new observations (the largest finite bound when it is +Inf). Undefined: none.
 */
export function quantile(
  before: ReadonlyMap<number, number>,
  after: ReadonlyMap<number, number>,
  q: number,
): number | undefined {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const delta = (bound: number): number => (after.get(bound) ?? 0) - (before.get(bound) ?? 0);
  const total = delta(Number.POSITIVE_INFINITY);
  if (total <= 0) return undefined;
  for (const bound of bounds) {
    if (delta(bound) >= q * total) {
      return Number.isFinite(bound) ? bound : (bounds.filter(Number.isFinite).at(-1) ?? 0);
    }
  }
  return undefined;
}
