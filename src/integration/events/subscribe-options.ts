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

/** Every option `subscribe` knows: a misspelt one is refused rather than ignored. */
const OPTION_NAMES: ReadonlySet<string> = new Set([
  'name',
  'filter',
  'priority',
  'once',
  'concurrency',
  'startFrom',
  'queueSize',
  'durability',
  'timeoutMs',
  'retry',
  'live',
  'reset',
  'batch',
] satisfies Array<keyof SubscribeOptions<never> | 'batch'>);

/** A ConfigError for an option of the wrong kind: a mistyped `startFrom` would otherwise start from now. */
function checkKinds(options: SubscribeOptions<never>): void {
  const wrong = (option: string, expected: string, value: unknown): never => {
    throw new ConfigError(`${option} must be ${expected}; received ${JSON.stringify(value) ?? typeof value}.`);
  };
  const { name, filter, priority, once, live, startFrom, retry } = options;
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) wrong('name', 'a non-empty string', name);
  if (filter !== undefined && typeof filter !== 'function') wrong('filter', 'a function', filter);
  if (priority !== undefined && !Number.isFinite(priority)) wrong('priority', 'a finite number', priority);
  if (once !== undefined && typeof once !== 'boolean') wrong('once', 'true or false', once);
  if (live !== undefined && typeof live !== 'boolean') wrong('live', 'true or false', live);
  if (startFrom !== undefined && startFrom !== 'now' && startFrom !== 'beginning')
    wrong('startFrom', "'now' or 'beginning'", startFrom);
  if (retry === undefined) return;
  if (typeof retry !== 'object' || retry === null) wrong('retry', 'an object', retry);
  const { maxAttempts, baseDelayMs, maxDelayMs } = retry;
  if (maxAttempts !== undefined && (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1))
    wrong('retry.maxAttempts', 'an integer >= 1', maxAttempts);
  for (const [option, value] of [
    ['retry.baseDelayMs', baseDelayMs],
    ['retry.maxDelayMs', maxDelayMs],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0 || value > MAX_TIMER_MS))
      wrong(option, `an integer from 0 to ${MAX_TIMER_MS}`, value);
  }
}

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
  const unknown = Object.keys(options).filter((key) => !OPTION_NAMES.has(key));
  if (unknown.length > 0)
    throw new ConfigError(
      `Unknown subscribe option${unknown.length === 1 ? '' : 's'} ${unknown.map((k) => JSON.stringify(k)).join(', ')}; ` +
        `the options are ${[...OPTION_NAMES].join(', ')}.`,
    );
  checkKinds(options);
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
