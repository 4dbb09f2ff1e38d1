import type { CounterSeries, HistogramSeries, WeftMetrics } from '../monitoring/internal.js';

/** A subscription's figures for one event type. */
export interface DeliverySeries {
  readonly delivered: CounterSeries;
  readonly failed: CounterSeries;
  readonly retried: CounterSeries;
  readonly deadLettered: CounterSeries;
  readonly dropped: CounterSeries;
  readonly duration: HistogramSeries;
}

const IGNORED: CounterSeries & HistogramSeries = { inc() {}, observe() {} };
const UNMEASURED: DeliverySeries = {
  delivered: IGNORED,
  failed: IGNORED,
  retried: IGNORED,
  deadLettered: IGNORED,
  dropped: IGNORED,
  duration: IGNORED,
};

/** One subscription's metric series, looked up once per event type so that a delivery costs a few number adds. */
export class DeliveryMetrics {
  readonly #metrics: WeftMetrics | undefined;
  readonly #subscription: string;
  readonly #byType = new Map<string, DeliverySeries>();

  constructor(metrics: WeftMetrics | undefined, subscription: string) {
    this.#metrics = metrics;
    this.#subscription = subscription;
  }

  /** The series of events of `type`. */
  of(type: string): DeliverySeries {
    const metrics = this.#metrics;
    if (metrics === undefined) return UNMEASURED;
    let series = this.#byType.get(type);
    if (series === undefined) {
      const labels = { type, subscription: this.#subscription };
      series = {
        delivered: metrics.eventsDelivered.labels(labels),
        failed: metrics.eventsFailed.labels(labels),
        retried: metrics.eventsRetried.labels(labels),
        deadLettered: metrics.eventsDeadLettered.labels(labels),
        dropped: metrics.eventsDropped.labels(labels),
        duration: metrics.handlerDuration.labels(labels),
      };
      this.#byType.set(type, series);
    }
    return series;
  }
}
