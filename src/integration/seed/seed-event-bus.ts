import type { Logger } from 'pino';
import { NotFoundError, ValidationError } from '../errors/index.js';
import type { WeftMetrics } from '../monitoring/index.js';
import { formatIssues, type ValidationManager } from '../validation/index.js';

/** A seed-style handler: it receives the dispatched payload itself. */
export type SeedHandler = (payload: unknown) => unknown;

/** Options of the seed-style bus. */
export interface SeedEventBusOptions {
  /** Payloads of types with a registered schema are validated against it. */
  readonly validation?: ValidationManager;
  readonly metrics?: WeftMetrics;
  readonly logger: Pick<Logger, 'error' | 'warn'>;
  /** Refuse types without a registered schema. Default false (allowed, and counted). */
  readonly strict?: boolean;
}

/**
 * The seed's `event_bus` / `event_dispatcher` contract: `register(type, handler)`,
 * `await dispatch(type, payload)` (calls `handler(payload)`, resolves once every handler has
 * finished; a handler's error is reported, never thrown), `unregister(type, handler)`.
 * In memory, at most once: new code uses EventBus, which adds durability and typing.
 */
export class SeedEventBus {
  readonly #handlers = new Map<string, Set<SeedHandler>>();
  readonly #options: SeedEventBusOptions;

  constructor(options: SeedEventBusOptions) {
    this.#options = options;
  }

  register(type: string, handler: SeedHandler): void {
    const handlers = this.#handlers.get(type) ?? new Set<SeedHandler>();
    handlers.add(handler);
    this.#handlers.set(type, handlers);
  }

  unregister(type: string, handler: SeedHandler): void {
    this.#handlers.get(type)?.delete(handler);
  }

  /** Calls every handler of `type` with `payload`; resolves when all have finished. */
  async dispatch(type: string, payload: unknown): Promise<void> {
    const validation = this.#options.validation;
    if (validation?.hasSchema(type) === true) {
      const result = validation.validateData(type, payload);
      if (!result.ok)
        throw new ValidationError(`Invalid ${type}:\n${formatIssues(result.issues)}`, { issues: result.issues });
    } else if (this.#options.strict === true) {
      throw new NotFoundError(`Event type ${type} has no registered schema, and this bus is strict.`);
    } else {
      this.#options.metrics?.eventsUnregistered.inc();
    }
    const handlers = [...(this.#handlers.get(type) ?? [])];
    // Promise.resolve().then: a handler that throws synchronously is reported like one that rejects.
    const outcomes = await Promise.allSettled(
      handlers.map((handler) => Promise.resolve().then(() => handler(payload))),
    );
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') {
        this.#options.metrics?.eventsFailed.inc({ type, subscription: 'seed' });
        this.#options.logger.error({ err: outcome.reason, type }, 'event handler failed');
      }
    }
  }
}
