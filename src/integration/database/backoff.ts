import type { RetryPolicy } from './options.js';

/**
 * How long to wait before attempt `attempt + 1`: exponential from `baseDelayMs`, capped at
 * `maxDelayMs`, with full jitter (a random share of it), so that callers that failed together
 * spread out instead of colliding again. The one backoff formula of Weft: transactions, event
 * redelivery, state updates and alert webhooks all use it.
 */
export function backoffDelay(policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, attempt: number): number {
  return Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
}
