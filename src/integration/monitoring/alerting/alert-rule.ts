import { z } from 'zod';
import { ConfigError } from '../../errors/index.js';

/** How a rule reduces a metric over its window. */
export type Aggregate = 'value' | 'max' | 'rate' | 'ratio' | 'p50' | 'p95' | 'p99';
export type Comparison = '>' | '>=' | '<' | '<=' | '==' | '!=';
export type Severity = 'info' | 'warning' | 'critical';

/**
 * A threshold on a metric. `value`: the current sum of the matching series; `max`: the largest of them now (no
 * value, so the condition does not hold, when none matches), for a figure of each series that must not be added
 * up (the delivery lag of each subscription); `rate`: its increase
 * per second over `window`; `ratio`: the increase of `metric` over the increase of `denominator`;
 * `p50`/`p95`/`p99`: the quantile of a histogram's observations within `window`.
 */
export interface AlertRule {
  readonly name: string;
  readonly metric: string;
  /** Only series with these label values count. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly aggregate: Aggregate;
  /** For `ratio`: the metric below the line (failed / (the denominator)). */
  readonly denominator?: string;
  /** For `ratio`: the label filter of the denominator; default `labels`. */
  readonly denominatorLabels?: Readonly<Record<string, string>>;
  /** `30s`, `5m`, `1h`, or milliseconds. */
  readonly window: string | number;
  readonly op: Comparison;
  readonly threshold: number;
  /** How long the condition must hold before the rule fires. Default 0. */
  readonly for?: string | number;
  /** How long the condition must stay false before a firing rule resolves (against flapping). Default 0. */
  readonly resolveAfter?: string | number;
  readonly severity: Severity;
  readonly summary: string;
}

/** A rule with its durations in milliseconds. */
export interface CompiledRule extends AlertRule {
  readonly windowMs: number;
  readonly forMs: number;
  readonly resolveAfterMs: number;
}

const duration = z.union([
  z.string().regex(/^\d+(ms|s|m|h)$/, 'a duration such as 30s, 5m or 1h'),
  z.int().nonnegative(),
]);

/** The schema of a rule, for rules in code and in JSON files alike. */
export const alertRuleSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z][a-z0-9_.-]*$/, 'lower-case words joined by _ . or -'),
    metric: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'a Prometheus metric name'),
    labels: z.record(z.string(), z.string()).optional(),
    aggregate: z.enum(['value', 'max', 'rate', 'ratio', 'p50', 'p95', 'p99']),
    denominator: z.string().optional(),
    denominatorLabels: z.record(z.string(), z.string()).optional(),
    window: duration,
    op: z.enum(['>', '>=', '<', '<=', '==', '!=']),
    threshold: z.number(),
    for: duration.optional(),
    resolveAfter: duration.optional(),
    severity: z.enum(['info', 'warning', 'critical']),
    summary: z.string().min(1),
  })
  .refine((rule) => rule.aggregate !== 'ratio' || rule.denominator !== undefined, {
    message: 'a ratio rule needs a denominator metric',
    path: ['denominator'],
  });

/** Milliseconds of `30s`, `5m`, `1h`, `250ms`, or a number of milliseconds. */
export function durationMs(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = /^(\d+)(ms|s|m|h)$/.exec(value);
  if (match === null) throw new ConfigError(`${JSON.stringify(value)} is not a duration such as 30s, 5m or 1h.`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

/** Checks a rule and converts its durations. */
export function compileRule(rule: AlertRule): CompiledRule {
  const parsed = alertRuleSchema.safeParse(rule);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(rule)'}: ${i.message}`).join('; ');
    throw new ConfigError(
      `Alert rule ${JSON.stringify((rule as { name?: unknown }).name ?? '?')} is invalid: ${problems}.`,
    );
  }
  return {
    ...rule,
    windowMs: durationMs(rule.window),
    forMs: durationMs(rule.for ?? 0),
    resolveAfterMs: durationMs(rule.resolveAfter ?? 0),
  };
}

/** True when `value op threshold` holds. */
export function compare(value: number, op: Comparison, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}
