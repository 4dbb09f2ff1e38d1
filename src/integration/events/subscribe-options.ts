import { z } from 'zod';
import { MAX_TIMER_MS } from '../database/internal.js';
import { ConfigError } from '../errors/internal.js';
import { parseSettings } from '../validation/internal.js';
import { DEFAULT_HANDLER_TIMEOUT_MS } from './handler-timeout.js';
import type { BatchOptions, SubscribeOptions } from './types.js';

/** A subscription's handler timeout, checked like Weft's other settings. */
const timeoutSetting = z.strictObject({
  timeoutMs: z.int().min(1).max(MAX_TIMER_MS).default(DEFAULT_HANDLER_TIMEOUT_MS),
});

/** What `subscribe` goes on with once its options are checked. */
export interface CheckedSubscribeOptions {
  readonly batch: BatchOptions | undefined;
  readonly timeoutMs: number;
  readonly live: boolean;
}

/**
 * Checks a subscription's pattern and options before anything is registered: a ConfigError naming the option,
 * else the batch, the handler timeout (defaulted) and whether it is live.
 */
export function checkSubscribeOptions<E>(
  pattern: string,
  options: SubscribeOptions<E> & { readonly batch?: BatchOptions },
): CheckedSubscribeOptions {
  if (!/^([a-z][a-z0-9_]*\.([a-z][a-z0-9_]*|\*)|\*)$/.test(pattern)) {
    throw new ConfigError(`Subscription pattern must be a type, system.* or *; received ${JSON.stringify(pattern)}.`);
  }
  const batch = options.batch;
  if (
    batch !== undefined &&
    (!Number.isSafeInteger(batch.maxSize) ||
      batch.maxSize < 1 ||
      !Number.isSafeInteger(batch.maxWaitMs) ||
      batch.maxWaitMs < 0)
  ) {
    throw new ConfigError(`batch needs an integer maxSize >= 1 and maxWaitMs >= 0; received ${JSON.stringify(batch)}.`);
  }
  for (const [option, value] of [
    ['concurrency', options.concurrency],
    ['queueSize', options.queueSize],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1))
      throw new ConfigError(`${option} must be an integer >= 1; received ${JSON.stringify(value)}.`);
  }
  const { timeoutMs } = parseSettings(
    timeoutSetting,
    { timeoutMs: options.timeoutMs },
    `subscription ${options.name ?? pattern}`,
  );
  if (options.durability !== undefined && options.durability !== 'full' && options.durability !== 'deferred') {
    throw new ConfigError(`durability must be 'full' or 'deferred'; received ${JSON.stringify(options.durability)}.`);
  }
  const live = options.live === true;
  if (live) {
    const durableOnly = (['startFrom', 'retry', 'durability'] as const).filter((key) => options[key] !== undefined);
    if (durableOnly.length > 0)
      throw new ConfigError(
        `A live subscription keeps no cursor, inbox or dead letter, so ${durableOnly.join(', ')} cannot apply; drop ${durableOnly.length === 1 ? 'it' : 'them'} or live.`,
      );
  }
  if (options.reset !== undefined) {
    if (typeof options.reset !== 'function')
      throw new ConfigError(`reset must be a function; received ${JSON.stringify(options.reset)}.`);
    if (live) throw new ConfigError('A live subscription keeps no cursor to rewind, so reset cannot apply.');
    // Lanes commit each event's effects before the cursor moves, outside the transaction a rebuild fences.
    if ((options.concurrency ?? 1) > 1)
      throw new ConfigError(
        'A subscription with reset is replayed in log order, one group at a time: drop concurrency.',
      );
  }
  return { batch, timeoutMs, live };
}
