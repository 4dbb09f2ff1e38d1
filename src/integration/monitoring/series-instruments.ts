import type { Metric, MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import { ConfigError } from '../errors/internal.js';

type LabelValues<L extends string> = Partial<Record<L, string | number>>;

/** One labelled series of a counter: `inc` adds to a number kept here. */
export interface CounterSeries {
  inc(value?: number): void;
}

/** One labelled series of a histogram: `observe` adds to a bucket kept here. */
export interface HistogramSeries {
  observe(value: number): void;
}

/**
 * The part both instruments share: series looked up once by their label values and kept, so a
 * hot path that holds a series pays a number add, not a label hash; the registry reads them at
 * scrape time in prom-client's shape (so `/metrics`, JSON and alert rules see them like any other).
 */
abstract class SeriesInstrument<L extends string, S> {
  readonly aggregator = 'sum';
  readonly #series = new Map<string, { labels: LabelValues<L>; series: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric<L>);
  }

  /** The series of these label values; hold on to it on a hot path. */
  labels(labels: LabelValues<L> = {}): S {
    const key = this.labelNames.map((name) => String(labels[name] ?? '')).join('\u0000');
    const known = this.#series.get(key);
    if (known !== undefined) return known.series;
    for (const name of Object.keys(labels)) {
      if (!this.labelNames.includes(name as L))
        throw new ConfigError(
          `Metric ${this.name} has no label "${name}"; its labels are ${this.labelNames.join(', ') || 'none'}.`,
        );
    }
    const series = this.create();
    this.#series.set(key, { labels: { ...labels }, series });
    return series;
  }

  /** Forgets every series (prom-client's `reset`). */
  reset(): void {
    this.#series.clear();
  }

  protected entries(): Iterable<{ labels: LabelValues<L>; series: S }> {
    return this.#series.values();
  }

  protected abstract create(): S;
}

/** A Prometheus counter whose series are held by the code that counts. */
export class SeriesCounter<L extends string> extends SeriesInstrument<L, CounterSeries & { value: number }> {
  readonly type = 'counter';

  /** Adds `value` (default 1) to the series of `labels`, as prom-client's `inc(labels, value)`. */
  inc(labels?: LabelValues<L>, value = 1): void {
    this.labels(labels).inc(value);
  }

  /** prom-client's `get`, read by the registry. */
  get(): Promise<MetricObjectWithValues<MetricValue<L>>> {
    const values = [...this.entries()].map(({ labels, series }) => ({ labels, value: series.value }));
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    } as unknown as MetricObjectWithValues<MetricValue<L>>);
  }

  protected create(): CounterSeries & { value: number } {
    const series = {
      value: 0,
      inc(value = 1): void {
        if (!(value >= 0) || !Number.isFinite(value))
          throw new ConfigError(`A counter only goes up by a finite amount; received ${value}.`);
        series.value += value;
      },
    };
    return series;
  }
}

/** A Prometheus histogram whose series are held by the code that observes. */
export class SeriesHistogram<L extends string> extends SeriesInstrument<
  L,
  HistogramSeries & { counts: number[]; sum: number; count: number }
> {
  readonly type = 'histogram';
  readonly #bounds: readonly number[];

  constructor(name: string, help: string, labelNames: readonly L[], buckets: readonly number[], registry: Registry) {
    super(name, help, labelNames, registry);
    this.#bounds = [...buckets].sort((a, b) => a - b);
  }

  /** Records `value` in the series of `labels`, as prom-client's `observe(labels, value)`. */
  observe(labels: LabelValues<L>, value: number): void {
    this.labels(labels).observe(value);
  }

  /** prom-client's `get`: cumulative `_bucket` series with `le`, then `_sum` and `_count`. */
  get(): Promise<MetricObjectWithValues<MetricValue<L>>> {
    const values: Array<{ labels: Partial<Record<string, string | number>>; value: number; metricName: string }> = [];
    for (const { labels, series } of this.entries()) {
      let cumulative = 0;
      this.#bounds.forEach((bound, index) => {
        cumulative += series.counts[index] ?? 0;
        values.push({ labels: { le: bound, ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...labels }, value: series.count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: series.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    } as unknown as MetricObjectWithValues<MetricValue<L>>);
  }

  protected create(): HistogramSeries & { counts: number[]; sum: number; count: number } {
    const bounds = this.#bounds;
    const series = {
      counts: bounds.map(() => 0),
      sum: 0,
      count: 0,
      observe(value: number): void {
        if (!Number.isFinite(value)) throw new ConfigError(`A histogram takes finite values; received ${value}.`);
        let index = 0;
        while (index < bounds.length && value > (bounds[index] as number)) index++;
        if (index < bounds.length) series.counts[index] = (series.counts[index] ?? 0) + 1;
        series.sum += value;
        series.count++;
      },
    };
    return series;
  }
}
