import { ConfigError } from '../errors/index.js';
import type { Alert } from '../monitoring/index.js';
import type { Severity } from '../monitoring/index.js';
import type { Alerting } from '../monitoring/index.js';
import type { WeftLogger } from '../monitoring/index.js';
import type { WeftMetrics } from '../monitoring/index.js';
import type { Gauge, Counter } from 'prom-client';

/** pino level names, and the seed's Python numbers: 10 debug, 20 info, 30 warn, 40 error, 50 fatal. */
export type SeedLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 10 | 20 | 30 | 40 | 50;

const PYTHON_LEVELS = { 10: 'debug', 20: 'info', 30: 'warn', 40: 'error', 50: 'fatal' } as const;

/** The seed's `integration_logger`. */
export class IntegrationLogger {
  readonly #logging: WeftLogger;

  constructor(logging: WeftLogger) {
    this.#logging = logging;
  }

  /** Writes one line; resolves once it is written out. */
  log(level: SeedLevel, message: string, fields: Readonly<Record<string, unknown>> = {}): Promise<void> {
    const name = typeof level === 'number' ? PYTHON_LEVELS[level] : level;
    if (name === undefined)
      return Promise.reject(
        new ConfigError(`Unknown log level ${String(level)}; use a pino level name or 10, 20, 30, 40, 50.`),
      );
    const logger = this.#logging.root;
    logger[name](fields, message);
    return new Promise((resolve, reject) =>
      logger.flush((error) => (error === undefined || error === null ? resolve() : reject(error))),
    );
  }
}

/** Count, sum, min, max and percentiles of the values recorded for a name (the latest 1 000). */
export interface MetricSummary {
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

const RESERVOIR = 1000;

/** The seed's `integration_metrics`: record values by name; each is also exported as a `weft_` gauge or counter. */
export class IntegrationMetrics {
  readonly #metrics: WeftMetrics;
  readonly #recorded = new Map<string, number[]>();
  readonly #gauges = new Map<string, Gauge<string>>();
  readonly #counters = new Map<string, Counter<string>>();

  constructor(metrics: WeftMetrics) {
    this.#metrics = metrics;
  }

  /** Records a value for `name` (exported as gauge `weft_<name>`). */
  record(name: string, value: number, labels: Readonly<Record<string, string>> = {}): void {
    if (!Number.isFinite(value))
      throw new ConfigError(`Metric ${name} must be a finite number; received ${String(value)}.`);
    const values = this.#recorded.get(name) ?? [];
    values.push(value);
    if (values.length > RESERVOIR) values.shift();
    this.#recorded.set(name, values);
    let gauge = this.#gauges.get(name);
    if (gauge === undefined) {
      gauge = this.#metrics.gauge({
        name: `weft_${slug(name)}`,
        help: `Recorded through integrationMetrics.record("${name}").`,
        labelNames: Object.keys(labels),
      });
      this.#gauges.set(name, gauge);
    }
    gauge.set(labels, value);
  }

  /** Adds `by` (default 1) to counter `weft_<name>_total`. */
  increment(name: string, by = 1, labels: Readonly<Record<string, string>> = {}): void {
    let counter = this.#counters.get(name);
    if (counter === undefined) {
      counter = this.#metrics.counter({
        name: `weft_${slug(name)}_total`,
        help: `Counted through integrationMetrics.increment("${name}").`,
        labelNames: Object.keys(labels),
      });
      this.#counters.set(name, counter);
    }
    counter.inc(labels, by);
  }

  /** The last value recorded for `name`, or the counter's total. */
  async get(name: string): Promise<number | undefined> {
    const counter = this.#counters.get(name);
    if (counter !== undefined) return (await counter.get()).values.reduce((sum, v) => sum + v.value, 0);
    return this.#recorded.get(name)?.at(-1);
  }

  /** Summary of the values recorded for `name`; undefined before the first. */
  summary(name: string): MetricSummary | undefined {
    const values = this.#recorded.get(name);
    if (values === undefined || values.length === 0) return undefined;
    const sorted = [...values].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
    return {
      count: sorted.length,
      sum: sorted.reduce((s, v) => s + v, 0),
      min: sorted[0] ?? 0,
      max: sorted.at(-1) ?? 0,
      p50: at(0.5),
      p95: at(0.95),
      p99: at(0.99),
    };
  }
}

/** The seed's `integration_alerting`. */
export class IntegrationAlerting {
  readonly #alerting: Alerting;

  constructor(alerting: Alerting) {
    this.#alerting = alerting;
  }

  /** Raises an alert through the channels. */
  alert(name: string, message: string, options: { severity?: Severity } = {}): Alert {
    return this.#alerting.alert(name, message, options);
  }

  /** The latest alert of that name (`message` is its summary), or undefined. */
  getAlert(name: string): Promise<(Alert & { readonly message: string }) | undefined> {
    const alert = this.#alerting.getAlert(name);
    return Promise.resolve(alert === undefined ? undefined : { ...alert, message: alert.summary });
  }
}

function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
}
