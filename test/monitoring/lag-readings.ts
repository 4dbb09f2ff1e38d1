import type { WeftMetrics } from 'weft/internal';

/** The delivery lag gauge's series now, by subscription, as a scrape (or an alert evaluation) reads them. */
export async function lags(metrics: WeftMetrics): Promise<Record<string, number>> {
  const { values } = await metrics.eventDeliveryLag.get();
  return Object.fromEntries(values.map((series) => [String(series.labels.subscription), series.value]));
}
