import type { Registry } from 'prom-client';
import type { CompiledRule } from './alert-rule.js';

/** What one evaluation read of a rule's metrics: sums over the matching series, and the largest of them. */
export interface Sample {
  readonly time: number;
  readonly value: number;
  /** The largest matching series (a histogram's: its count); undefined when none matches. */
  readonly max: number | undefined;
  readonly denominator: number;
  /** Histogram buckets: upper bound -> cumulative count. */
  readonly buckets: ReadonlyMap<number, number>;
}

/** Reads the matching series of a rule's metric(s) now. Undefined when the metric is not registered. */
export async function readSample(registry: Registry, rule: CompiledRule, time: number): Promise<Sample | undefined> {
  const main = await sumSeries(registry, rule.metric, rule.labels);
  if (main === undefined) return undefined;
  const denominator =
    rule.denominator === undefined
      ? undefined
      : await sumSeries(registry, rule.denominator, rule.denominatorLabels ?? rule.labels);
  return { time, value: main.value, max: main.max, denominator: denominator?.value ?? 0, buckets: main.buckets };
}

/**
 * Sums the matching series of one metric: the value (a histogram's count) and the histogram's buckets; `max` is the
 * largest of the values summed (undefined when no series matches).
 */
export async function sumSeries(
  registry: Registry,
  name: string,
  labels: Readonly<Record<string, string>> | undefined,
): Promise<{ value: number; max: number | undefined; buckets: Map<number, number> } | undefined> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return undefined;
  const { type, values } = await metric.get();
  let value = 0;
  let max: number | undefined;
  const buckets = new Map<number, number>();
  for (const series of values) {
    if (!matches(series.labels, labels)) continue;
    const metricName = (series as { metricName?: string }).metricName;
    // prom-client reports the type as a string at run time, whatever its typings say.
    if ((type as unknown) === 'histogram') {
      if (metricName === `${name}_count`) {
        value += series.value;
        max = Math.max(max ?? series.value, series.value);
      } else if (metricName === `${name}_bucket`) {
        const le = series.labels.le;
        const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
        buckets.set(bound, (buckets.get(bound) ?? 0) + series.value);
      }
    } else {
      value += series.value;
      max = Math.max(max ?? series.value, series.value);
    }
  }
  return { value, max, buckets };
}

function matches(
  series: Partial<Record<string, string | number>>,
  wanted: Readonly<Record<string, string>> | undefined,
): boolean {
  if (wanted === undefined) return true;
  for (const [key, value] of Object.entries(wanted)) if (String(series[key]) !== value) return false;
  return true;
}

/**
 * The rule's aggregate over its window, from the samples kept (oldest first). Undefined when there
 * is not enough data (a rate needs two samples; a ratio or quantile needs observations in the window).
 */
export function aggregateOf(rule: CompiledRule, samples: readonly Sample[]): number | undefined {
  const latest = samples.at(-1);
  if (latest === undefined) return undefined;
  const oldest = samples.find((s) => s.time >= latest.time - rule.windowMs) ?? latest;
  switch (rule.aggregate) {
    case 'value':
      return latest.value;
    case 'max':
      return latest.max;
    case 'rate': {
      const seconds = (latest.time - oldest.time) / 1000;
      return seconds > 0 ? (latest.value - oldest.value) / seconds : undefined;
    }
    case 'ratio': {
      // With one sample the window starts at zero: everything counted so far.
      const base = oldest === latest ? undefined : oldest;
      const over = latest.denominator - (base?.denominator ?? 0);
      return over > 0 ? (latest.value - (base?.value ?? 0)) / over : undefined;
    }
    case 'p50':
    case 'p95':
    case 'p99':
      return quantile(
        Number(rule.aggregate.slice(1)) / 100,
        latest.buckets,
        oldest === latest ? undefined : oldest.buckets,
      );
  }
}

/** Prometheus' histogram_quantile on the observations between two bucket snapshots. */
export function quantile(
  q: number,
  now: ReadonlyMap<number, number>,
  before: ReadonlyMap<number, number> | undefined,
): number | undefined {
  const bounds = [...now.keys()].sort((a, b) => a - b);
  const counts = bounds.map((bound) => (now.get(bound) ?? 0) - (before?.get(bound) ?? 0));
  const total = counts.at(-1) ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    const count = counts[i] ?? 0;
    if (count >= rank) {
      const upper = bounds[i] ?? 0;
      const lower = i === 0 ? 0 : (bounds[i - 1] ?? 0);
      if (upper === Number.POSITIVE_INFINITY) return lower;
      const below = i === 0 ? 0 : (counts[i - 1] ?? 0);
      return count === below ? upper : lower + ((upper - lower) * (rank - below)) / (count - below);
    }
  }
  return bounds.at(-2);
}
