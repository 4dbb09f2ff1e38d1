import type { WeftMetrics } from '../metrics.js';
import type { Alerting } from './alerting.js';
import { quantile, sumSeries } from './metric-window.js';

/** How fast and how reliable one operation must be. */
export interface PerformanceBudget {
  /** The 99th percentile of its duration must stay at or under this. */
  readonly p99Ms: number;
  /** Failed runs per run must stay at or under this (0.01 = 1 %). */
  readonly errorRate?: number;
  /** The histogram to read; default `weft_operation_duration_ms` with `{ operation }`. */
  readonly metric?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Below this many observations the verdict is "not enough data". Default 20. */
  readonly minSamples?: number;
}

/** One line of `validatePerformance()`. */
export interface BudgetReport {
  readonly operation: string;
  readonly status: 'met' | 'exceeded' | 'not enough data';
  readonly samples: number;
  readonly p99Ms: { readonly budget: number; readonly measured: number | undefined };
  readonly errorRate?: { readonly budget: number; readonly measured: number | undefined };
}

const OPERATION_HISTOGRAM = 'weft_operation_duration_ms';

/**
 * Performance budgets per operation (the seed's performance validation): each is checked on
 * demand against the measured histogram, and is also an alert rule that fires when exceeded.
 */
export class PerformanceBudgets {
  readonly #metrics: WeftMetrics;
  readonly #alerting: Alerting;
  readonly #budgets = new Map<string, PerformanceBudget>();

  constructor(metrics: WeftMetrics, alerting: Alerting) {
    this.#metrics = metrics;
    this.#alerting = alerting;
  }

  /** Sets the budget of `operation` and adds its alert rules (`budget.<operation>.p99`, `.error_rate`). */
  register(operation: string, budget: PerformanceBudget): void {
    const metric = budget.metric ?? OPERATION_HISTOGRAM;
    const labels = budget.labels ?? { operation };
    const slug = operation.replace(/[^a-z0-9_.-]/gi, '_').toLowerCase();
    this.#alerting.addRule({
      name: `budget.${slug}.p99`,
      metric,
      labels,
      aggregate: 'p99',
      window: '5m',
      op: '>',
      threshold: budget.p99Ms,
      for: '1m',
      resolveAfter: '1m',
      severity: 'warning',
      summary: `${operation} is slower than its budget (p99 ${budget.p99Ms} ms)`,
    });
    if (budget.errorRate !== undefined) {
      this.#alerting.addRule({
        name: `budget.${slug}.error_rate`,
        metric,
        labels: { ...labels, outcome: 'error' },
        denominator: metric,
        denominatorLabels: labels,
        aggregate: 'ratio',
        window: '5m',
        op: '>',
        threshold: budget.errorRate,
        for: '1m',
        resolveAfter: '1m',
        severity: 'warning',
        summary: `${operation} fails more often than its budget (${budget.errorRate * 100} %)`,
      });
    }
    this.#budgets.set(operation, { ...budget, metric, labels });
  }

  /** Each budget against everything measured so far: met, exceeded, or not enough data. */
  async validate(): Promise<BudgetReport[]> {
    const reports: BudgetReport[] = [];
    for (const [operation, budget] of this.#budgets) {
      const metric = budget.metric ?? OPERATION_HISTOGRAM;
      const all = await sumSeries(this.#metrics.registry, metric, budget.labels);
      const samples = all?.value ?? 0;
      const p99 = all === undefined ? undefined : quantile(0.99, all.buckets, undefined);
      let errorRate: BudgetReport['errorRate'];
      if (budget.errorRate !== undefined) {
        const failed = await sumSeries(this.#metrics.registry, metric, { ...budget.labels, outcome: 'error' });
        errorRate = { budget: budget.errorRate, measured: samples > 0 ? (failed?.value ?? 0) / samples : undefined };
      }
      const enough = samples >= (budget.minSamples ?? 20);
      const exceeded =
        (p99 ?? 0) > budget.p99Ms || (errorRate?.measured ?? 0) > (errorRate?.budget ?? Number.POSITIVE_INFINITY);
      reports.push({
        operation,
        status: !enough ? 'not enough data' : exceeded ? 'exceeded' : 'met',
        samples,
        p99Ms: { budget: budget.p99Ms, measured: p99 },
        ...(errorRate === undefined ? {} : { errorRate }),
      });
    }
    return reports;
  }
}
