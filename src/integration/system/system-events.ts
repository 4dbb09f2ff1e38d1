import { ConfigError } from '../errors/internal.js';
import {
  checkSubscribeOptions,
  defineEvent,
  type BatchOptions,
  type EventBus,
  type EventDefinition,
  type EventEnvelope,
  type EventHandler,
  type SubscribeOptions,
} from '../events/internal.js';
import { runWithContext } from '../monitoring/internal.js';
import type { Schema } from '../validation/internal.js';
import type { DeclaredEnvelope, DeclaredPattern, WeftEvents } from './registry.js';

/** An event a system defines: its type is `system.name`, its owner the system. */
export interface SystemEventOptions<Name extends string, Data> {
  /** snake_case; the type becomes `system.name`. */
  readonly name: Name;
  /** Default 1. */
  readonly version?: number;
  /** Durable: through the event log, at least once, in order per partition key. Volatile: in memory, at most once. */
  readonly durable: boolean;
  readonly schema: Schema<Data>;
  /** Events with one key reach a subscription in publish order. */
  readonly partitionKey?: (data: Data) => string;
}

/** A subscription's options through a system: its name is short (`on_item_crafted`) and lives under the system. */
export type SystemSubscribeOptions<E> = Omit<SubscribeOptions<E>, 'name'> & {
  /** snake_case, unique in the system; default `on_<event name>` (`on_crafting_any` for `crafting.*`). */
  readonly name?: string;
};

/** The event types a system may publish: its own declared ones. */
export type OwnEventType<S extends string> = Extract<keyof WeftEvents, `${S}.${string}`>;

/** How the facade subscribes: at once, or staged until every system of an install is set up. */
export type Subscriber = (
  pattern: string,
  handler: (event: never) => unknown,
  options: SubscribeOptions<EventEnvelope> & { readonly batch?: BatchOptions; readonly name: string },
) => () => Promise<void>;

const SHORT_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * A system's events: it defines the ones it owns, publishes them (and only them: another
 * system's type is a 403), and subscribes under its own name, so cursors, dead letters and
 * metrics say which system a subscription belongs to.
 */
export class SystemEvents<S extends string> {
  readonly #system: S;
  readonly #bus: EventBus<Record<string, unknown>>;
  readonly #subscribe: Subscriber;
  readonly #names = new Set<string>();
  /** The options of every publish, made once: the system is always the source. */
  readonly #source: { readonly source: string };

  constructor(system: S, bus: EventBus<Record<string, unknown>>, subscribe: Subscriber) {
    this.#system = system;
    this.#bus = bus;
    this.#subscribe = subscribe;
    this.#source = { source: system };
  }

  /** Defines an event this system owns, `system.name`, and registers its schema; returns its definition. */
  define<const Name extends string, Data>(
    options: SystemEventOptions<Name, Data>,
  ): EventDefinition<`${S}.${Name}`, Data> {
    // Checked here, where the name is the one given: defineEvent would quote the whole type, `crafting.crafting.x`.
    if (!SHORT_NAME.test(options.name)) {
      throw new ConfigError(
        `An event of ${this.#system} is named in snake_case (it becomes ${this.#system}.<name>); received ${JSON.stringify(options.name)}.`,
      );
    }
    const definition = defineEvent({
      type: `${this.#system}.${options.name}`,
      version: options.version ?? 1,
      owner: this.#system,
      durable: options.durable,
      schema: options.schema,
      ...(options.partitionKey === undefined ? {} : { partitionKey: options.partitionKey }),
    });
    this.#bus.define(definition);
    return definition;
  }

  /** Publishes one of this system's events, in the transaction open around the call (or one of its own). */
  publish<T extends string, Data>(event: EventDefinition<T, Data>, data: Data): Promise<EventEnvelope<T, Data>>;
  publish<T extends OwnEventType<S>>(type: T, data: WeftEvents[T]): Promise<EventEnvelope<T, WeftEvents[T]>>;
  publish(event: string | EventDefinition, data: unknown): Promise<EventEnvelope> {
    return this.#bus.publish(typeof event === 'string' ? event : event.type, data, this.#source);
  }

  /**
   * Subscribes to an event (by definition, declared type, `system.*` or `*`), named
   * `system.on_<event>` unless `name` says otherwise; with `batch`, the handler takes arrays.
   * Returns the function that unsubscribes.
   */
  subscribe<T extends string, Data>(
    event: EventDefinition<T, Data>,
    handler: EventHandler<Array<EventEnvelope<T, Data>>>,
    options: SystemSubscribeOptions<EventEnvelope<T, Data>> & { readonly batch: BatchOptions },
  ): () => Promise<void>;
  subscribe<T extends string, Data>(
    event: EventDefinition<T, Data>,
    handler: EventHandler<EventEnvelope<T, Data>>,
    options?: SystemSubscribeOptions<EventEnvelope<T, Data>>,
  ): () => Promise<void>;
  subscribe<P extends DeclaredPattern>(
    pattern: P,
    handler: EventHandler<Array<DeclaredEnvelope<P>>>,
    options: SystemSubscribeOptions<DeclaredEnvelope<P>> & { readonly batch: BatchOptions },
  ): () => Promise<void>;
  subscribe<P extends DeclaredPattern>(
    pattern: P,
    handler: EventHandler<DeclaredEnvelope<P>>,
    options?: SystemSubscribeOptions<DeclaredEnvelope<P>>,
  ): () => Promise<void>;
  subscribe(
    event: string | EventDefinition,
    handler: (event: never) => unknown,
    // `never`: every overload's options fit here, whatever envelope their filter takes.
    options: SystemSubscribeOptions<never> & { readonly batch?: BatchOptions } = {},
  ): () => Promise<void> {
    const pattern = typeof event === 'string' ? event : event.type;
    const short = options.name ?? defaultName(pattern);
    if (!SHORT_NAME.test(short)) {
      throw new ConfigError(
        `A subscription of ${this.#system} is named in snake_case (it becomes ${this.#system}.<name>); received ${JSON.stringify(short)}.`,
      );
    }
    const name = `${this.#system}.${short}`;
    if (this.#names.has(name)) {
      throw new ConfigError(`${this.#system} subscribes as ${name} already; give this subscription its own name.`);
    }
    if (typeof handler !== 'function') {
      throw new ConfigError(`The handler of ${name} must be a function; received ${typeof handler}.`);
    }
    // Checked here, before they are wrapped below (a wrapped reset is always a function) and before an install stages
    // them: a refused subscription throws at the call, during a setup before any migration runs.
    checkSubscribeOptions(pattern, { ...(options as SubscribeOptions<EventEnvelope>), name });
    // The handler works as the system: what it writes is `updatedBy` it, what it publishes has it as source.
    const system = { system: this.#system };
    const asSystem = (event: never): unknown => runWithContext(system, () => handler(event));
    const reset = options.reset;
    // Refused by the bus: the name stays free for the corrected call.
    const unsubscribe = this.#subscribe(pattern, asSystem, {
      ...(options as SubscribeOptions<EventEnvelope>),
      name,
      ...(reset === undefined ? {} : { reset: () => runWithContext(system, reset) }),
    });
    this.#names.add(name);
    return () => {
      this.#names.delete(name);
      return unsubscribe();
    };
  }
}

/** `crafting.item_crafted` -> `on_item_crafted`; `crafting.*` -> `on_crafting_any`; `*` -> `on_any`. */
function defaultName(pattern: string): string {
  if (pattern === '*') return 'on_any';
  const [system, name] = pattern.split('.');
  return name === '*' ? `on_${system ?? ''}_any` : `on_${name ?? pattern}`;
}
