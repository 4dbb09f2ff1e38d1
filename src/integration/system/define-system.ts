import { ConfigError } from '../errors/internal.js';
import type { SystemHandle } from './system-handle.js';

/** A game system: its name, and what it sets up on its handle when installed. */
export interface SystemDefinition<Name extends string = string> {
  readonly name: Name;
  /** Declares the system's events, slices, commands, subscriptions and migrations on its handle. */
  setup(sys: SystemHandle<Name>): void | Promise<void>;
}

const NAME = /^[a-z][a-z0-9_]*$/;

/**
 * Defines a game system: one folder, one handle. Install it with `weft.install(...)`.
 * @example
 * export const crafting = defineSystem({
 *   name: 'crafting',
 *   setup(sys) {
 *     const crafted = sys.events.define({ name: 'item_crafted', durable: true, schema: ItemCrafted })
 *     sys.command('craft', { input: CraftInput, output: CraftResult, idempotent: true }, craft)
 *   },
 * })
 */
export function defineSystem<const Name extends string>(definition: SystemDefinition<Name>): SystemDefinition<Name> {
  if (!NAME.test(definition.name)) {
    throw new ConfigError(
      `A system is named in snake_case (crafting, world_state); received ${JSON.stringify(definition.name)}.`,
    );
  }
  if (typeof definition.setup !== 'function')
    throw new ConfigError(`System ${definition.name} needs a setup function.`);
  return Object.freeze({ ...definition });
}
