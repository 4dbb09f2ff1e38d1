import type { AlertRule } from './alert-rule.js';

/** Thresholds of the rules Weft ships on by default; each may be changed. */
export interface BuiltinThresholds {
  /** Failed handler attempts per successful delivery, over 5 minutes. Default 0.05. */
  readonly handlerErrorRatio?: number;
  /** Dead letters per second, over 5 minutes. Default 0 (any new dead letter). */
  readonly deadLettersPerSecond?: number;
  /** Delivery lag of the subscription furthest behind (`weft_event_delivery_lag_ms`), in ms. Default 30 000. */
  readonly deliveryLagMs?: number;
  /** State conflicts per commit, over 5 minutes. Default 0.2. */
  readonly conflictRatio?: number;
}

/**
 * The rules on by default: handler error rate, dead letters growing, delivery lag, conflict rate, database unavailable.
 */
export function builtinRules(thresholds: BuiltinThresholds = {}): AlertRule[] {
  return [
    {
      name: 'weft.handler_error_rate',
      metric: 'weft_events_failed_total',
      denominator: 'weft_events_delivered_total',
      aggregate: 'ratio',
      window: '5m',
      op: '>',
      threshold: thresholds.handlerErrorRatio ?? 0.05,
      for: '2m',
      resolveAfter: '2m',
      severity: 'warning',
      summary: 'Event handlers fail often',
    },
    {
      name: 'weft.dead_letters_growing',
      metric: 'weft_events_dead_lettered_total',
      aggregate: 'rate',
      window: '5m',
      op: '>',
      threshold: thresholds.deadLettersPerSecond ?? 0,
      resolveAfter: '5m',
      severity: 'warning',
      summary: 'Events are being dead-lettered',
    },
    {
      name: 'weft.event_delivery_lag',
      metric: 'weft_event_delivery_lag_ms',
      // The lag of the subscription furthest behind: lags of different subscriptions do not add up.
      aggregate: 'max',
      window: '1m',
      op: '>',
      threshold: thresholds.deliveryLagMs ?? 30_000,
      for: '1m',
      resolveAfter: '1m',
      severity: 'warning',
      summary: 'A subscription is falling behind',
    },
    {
      name: 'weft.transaction_conflict_rate',
      metric: 'weft_transaction_conflicts_total',
      denominator: 'weft_transaction_commits_total',
      aggregate: 'ratio',
      window: '5m',
      op: '>',
      threshold: thresholds.conflictRatio ?? 0.2,
      for: '2m',
      resolveAfter: '2m',
      severity: 'warning',
      summary: 'State transactions conflict often',
    },
    {
      name: 'weft.database_unavailable',
      metric: 'weft_db_up',
      aggregate: 'value',
      window: '1m',
      op: '<',
      threshold: 1,
      for: '30s',
      resolveAfter: '30s',
      severity: 'critical',
      summary: 'The database does not answer',
    },
    {
      // `max`: on the database transport there is no such series, and no data keeps the rule inactive (a `value`
      // would read the missing series as 0 and fire).
      name: 'weft.nats_unavailable',
      metric: 'weft_nats_up',
      aggregate: 'max',
      window: '1m',
      op: '<',
      threshold: 1,
      for: '30s',
      resolveAfter: '30s',
      severity: 'critical',
      summary: 'NATS does not answer: durable events wait in the log',
    },
  ];
}
