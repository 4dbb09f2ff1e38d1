import type { Schema } from '../validation/internal.js';
import { ConfigError } from '../errors/internal.js';

/** What an event is: its type, the shape of its data, who may publish it, and how it travels. */
export interface EventDefinition<Type extends string = string, Data = unknown> {
  /** `system.snake_case_name`, e.g. `crafting.item_crafted`. */
  readonly type: Type;
  readonly version: number;
  readonly schema: Schema<Data>;
  /** The only system that may publish it. */
  readonly owner: string;
  /**
   * Durable events go through the event log (at least once, in order per partition key); volatile ones stay in memory
   * (at most once).
   */
  readonly durable: boolean;
  /** Picks the partition key from the data: events with one key reach a subscription in publish order. */
  readonly partitionKey?: (data: Data) => string;
}

const TYPE = /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/;

/**
 * Defines an event type. Its data type is the schema's output, so subscribers get it typed.
 * @example export const itemCrafted = defineEvent({ type: 'crafting.item_crafted', version: 1, owner: 'crafting',
 * durable: true, schema: z.object({ itemId: z.string() }) })
 */
export function defineEvent<const Type extends string, Data>(
  definition: EventDefinition<Type, Data>,
): EventDefinition<Type, Data> {
  if (!TYPE.test(definition.type)) {
    throw new ConfigError(`Event type must be system.snake_case_name; received ${JSON.stringify(definition.type)}.`);
  }
  if (!Number.isSafeInteger(definition.version) || definition.version < 1) {
    throw new ConfigError(
      `Event ${definition.type} version must be an integer >= 1; received ${String(definition.version)}.`,
    );
  }
  if (!/^[a-z][a-z0-9_]*$/.test(definition.owner)) {
    throw new ConfigError(
      `Event ${definition.type} owner must be a system name such as crafting; received ${JSON.stringify(definition.owner)}.`,
    );
  }
  if (typeof definition.durable !== 'boolean') {
    // Left out or misspelt, it would read as volatile: events delivered at most once, never logged.
    throw new ConfigError(
      `Event ${definition.type} must say durable: true (logged, delivered at least once) or false (in memory, at most ` +
        `once); received ${JSON.stringify(definition.durable) ?? typeof definition.durable}.`,
    );
  }
  if (definition.partitionKey !== undefined && typeof definition.partitionKey !== 'function') {
    throw new ConfigError(`Event ${definition.type} partitionKey must be a function of the event's data.`);
  }
  return Object.freeze({ ...definition });
}

/** The data type of a definition. */
export type DataOf<D> = D extends EventDefinition<string, infer Data> ? Data : never;
