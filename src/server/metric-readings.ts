import type { Registry } from 'prom-client';

/** One series of a metric as prom-client reports it. */
export interface SeriesReading {
  readonly labels: Readonly<Record<string, string | number | undefined>>;
  readonly value: number;
  /** For a histogram: `<name>_bucket`, `<name>_sum` or `<name>_count`; else the metric's name. */
  readonly name: string;
}

/** Every series of a metric now; empty when the metric is not registered. */
export async function readMetric(registry: Registry, name: string): Promise<SeriesReading[]> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return [];
  const { values } = await metric.get();
  return values.map((series) => ({
    labels: series.labels,
    value: series.value,
    name: (series as { metricName?: string }).metricName ?? name,
  }));
}

/** The sum of a metric's series per value of one label (`subscription`). */
export function sumByLabel(readings: readonly SeriesReading[], label: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const reading of readings) {
    const key = reading.labels[label];
    if (key === undefined) continue;
    sums.set(String(key), (sums.get(String(key)) ?? 0) + reading.value);
  }
  return sums;
}
