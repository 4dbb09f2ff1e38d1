import type { Logger } from 'pino';
import { NotFoundError } from '../errors/internal.js';
import type { EventBus } from '../events/internal.js';
import { currentContext, type WeftMetrics } from '../monitoring/internal.js';
import { validationFailed, type ValidationManager } from '../validation/internal.js';

/** A seed-style handler: it receives the dispatched payload itself. */
export type SeedHandler = (payload: unknown) => unknown;

/** Options of the seed-style bus. */
export interface SeedEventBusOptions {
  /** The integration's bus this is a view of (resolved on first use: the default integration opens lazily). */
  readonly bus: () => Promise<EventBus>;
  /** Payloads of types the bus does not define are validated against a schema of that name, when one is registered. */
  readonly validation?: ValidationManager;
  readonly metrics?: WeftMetrics;
  readonly logger: Pick<Logger, 'error' | 'warn'>;
  /** Refuse types the bus does not define and no schema describes. Default false (allowed, and counted). */
  readonly strict?: boolean;
}

/** Event types a bus subscription can name: `system.snake_case_name`. */
const EVENT_TYPE = /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/;

/**
 * The seed's `event_bus` / `event_dispatcher` contract, as a view of an integration's one bus:
 * `register(type, handler)`, `await dispatch(type, payload)` (calls `handler(payload)`; a handler's
 * error is reported, never thrown), `unregister(type, handler)`.
 *
 * A type the bus defines travels on the bus both ways: a dispatch is a publish (checked, owned,
 * durable or not), seen by every subscriber of `weft.events`; a registered handler hears what any
 * code publishes, right after it commits, in this process (a live subscription). A volatile
 * dispatch resolves once every handler has finished; a durable one once it is committed. A type
 * nobody defined (the seed's free-form names) reaches the seed handlers only, counted in
 * `weft_events_unregistered_total`.
 */
export class SeedEventBus {
  readonly #handlers = new Map<string, Map<SeedHandler, Promise<() => Promise<void>> | undefined>>();
  readonly #options: SeedEventBusOptions;

  constructor(options: SeedEventBusOptions) {
    this.#options = options;
  }

  /** Calls `handler(payload)` for every event of `type`. */
  register(type: string, handler: SeedHandler): void {
    let handlers = this.#handlers.get(type);
    if (handlers === undefined)
      this.#handlers.set(type, (handlers = new Map<SeedHandler, Promise<() => Promise<void>> | undefined>()));
    if (handlers.has(handler)) return;
    // Free-form names cannot be bus subscriptions: those types are never defined, so only dispatch reaches them.
    const live = EVENT_TYPE.test(type)
      ? this.#options
          .bus()
          .then((bus) =>
            bus.subscribe(type as never, (event: { data: unknown }) => handler(event.data), { live: true }),
          )
      : undefined;
    live?.catch((error: unknown) => this.#options.logger.error({ err: error, type }, 'seed handler not registered'));
    handlers.set(handler, live);
  }

  /** Stops calling `handler` for `type`. */
  unregister(type: string, handler: SeedHandler): void {
    const handlers = this.#handlers.get(type);
    const live = handlers?.get(handler);
    handlers?.delete(handler);
    void live?.then(
      (unsubscribe) => unsubscribe(),
      () => undefined,
    );
  }

  /**
   * Dispatches `payload` as an event of `type`; resolves when every handler has finished (volatile) or it is committed
   * (durable).
   */
  async dispatch(type: string, payload: unknown): Promise<void> {
    const bus = await this.#options.bus();
    const definition = bus.definitions().find((d) => d.type === type);
    if (definition !== undefined) {
      // The seed's API has no notion of a publishing system: the current one, else the owner.
      const options = { source: currentContext()?.system ?? definition.owner };
      if (definition.durable) await bus.publish(type as never, payload as never, options);
      else await bus.publishAndWait(type as never, payload as never, options);
      return;
    }
    this.#check(type, payload);
    await this.#callLocal(type, payload);
  }

  #check(type: string, payload: unknown): void {
    const validation = this.#options.validation;
    if (validation?.hasSchema(type) === true) {
      const result = validation.validateData(type, payload);
      if (!result.ok) throw validationFailed(type, result);
    } else if (this.#options.strict === true) {
      throw new NotFoundError(
        `Event type ${type} is not defined on the bus and has no schema, and this bus is strict.`,
      );
    } else {
      this.#options.metrics?.eventsUnregistered.inc();
    }
  }

  async #callLocal(type: string, payload: unknown): Promise<void> {
    const handlers = [...(this.#handlers.get(type)?.keys() ?? [])];
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
