import { z } from 'zod';
import {
  ConflictError,
  ValidationError,
  issue,
  type Actor,
  type EventDefinition,
  type StateSlice,
  type SystemHandle,
} from '../../../integration/index.js';
import { contentOf } from '../../shared/content.js';
import { withItems, withoutItems } from './rules.js';
import { Inventory, ItemsInput, UseInput, type Character, type ItemStack, type ItemsChanged } from './schemas.js';

// What the inventory reads of the content: only the fields it uses.
const items = contentOf(
  'items',
  z.object({ id: z.string(), kind: z.string(), stats: z.object({ heal: z.int().optional() }).optional() }),
);

/** What the inventory's commands share with the rest of the character system. */
export interface InventoryParts {
  readonly characters: StateSlice<Character>;
  readonly itemsChanged: EventDefinition<'character.items_changed', z.infer<typeof ItemsChanged>>;
  /** The character, when the actor may act on it; a 404 otherwise. */
  readonly mine: (actor: Actor, characterId: string) => Promise<Character>;
}

/**
 * The character system's inventory commands: give and take items (never below zero; each change published as
 * `character.items_changed`) and use a consumable.
 */
export function inventoryCommands(
  sys: SystemHandle<'character'>,
  { characters, itemsChanged, mine }: InventoryParts,
): void {
  async function knownItems(stacks: readonly ItemStack[]): Promise<void> {
    const known = new Set((await items(sys.execute)).map((item) => item.id));
    const unknown = stacks.filter((stack) => !known.has(stack.itemId));
    if (unknown.length > 0) {
      throw new ValidationError(`Unknown item(s): ${unknown.map((s) => s.itemId).join(', ')}.`, {
        details: { unknown: unknown.map((s) => s.itemId) },
        issues: stacks.flatMap((stack, index) =>
          known.has(stack.itemId)
            ? []
            : [
                issue(
                  ['items', index, 'itemId'],
                  'reference',
                  `unknown item ${JSON.stringify(stack.itemId)}`,
                  'an existing item',
                  JSON.stringify(stack.itemId),
                ),
              ],
        ),
      });
    }
  }

  sys.command(
    'give_items',
    { input: ItemsInput, output: z.strictObject({ inventory: Inventory }) },
    async ({ characterId, items: stacks, reason }, { actor }) => {
      await knownItems(stacks);
      const character = await mine(actor, characterId);
      const updated = await characters.update(characterId, (c) => ({
        ...c,
        inventory: withItems(c.inventory, stacks),
      }));
      await sys.events.publish(itemsChanged, {
        characterId,
        ownerId: character.ownerId,
        changes: stacks.map((s) => ({ itemId: s.itemId, delta: s.count })),
        reason,
      });
      return { inventory: updated.value.inventory };
    },
  );

  sys.command(
    'take_items',
    { input: ItemsInput, output: z.strictObject({ inventory: Inventory }) },
    async ({ characterId, items: stacks, reason }, { actor }) => {
      const character = await mine(actor, characterId);
      // Checked on the value the update holds (locked on PostgreSQL): of two takes of the same items, one fails.
      const updated = await characters.update(characterId, (c) => ({
        ...c,
        inventory: withoutItems(c.inventory, stacks),
      }));
      const taken = withItems({}, stacks);
      await sys.events.publish(itemsChanged, {
        characterId,
        ownerId: character.ownerId,
        changes: Object.entries(taken).map(([itemId, count]) => ({ itemId, delta: -count })),
        reason,
      });
      return { inventory: updated.value.inventory };
    },
  );

  sys.command(
    'use_item',
    {
      input: UseInput,
      output: z.strictObject({ hp: z.int(), maxHp: z.int() }),
      // Its route takes an Idempotency-Key: a retried use spends no second potion.
      idempotent: true,
      description: 'Uses a consumable: a potion heals. Refused at full hp, where it would do nothing.',
    },
    async ({ characterId, itemId }, { actor }) => {
      const item = (await items(sys.execute)).find((i) => i.id === itemId);
      const heal = item?.kind === 'consumable' ? (item.stats?.heal ?? 0) : 0;
      if (heal === 0) {
        throw new ValidationError(`${itemId} is not something to use.`, {
          details: { itemId },
          issues: [
            issue(
              ['itemId'],
              'not_usable',
              `${JSON.stringify(itemId)} is not something to use`,
              'a consumable that heals',
              JSON.stringify(itemId),
            ),
          ],
        });
      }
      const character = await mine(actor, characterId);
      const full = (c: Character) =>
        new ConflictError(`${c.name} is at full hp (${c.hp} of ${c.maxHp}): ${itemId} would do nothing.`, {
          details: { itemId, hp: c.hp, maxHp: c.maxHp },
        });
      // Checked before anything is taken, so the answer says why; and again on the value the update holds (locked
      // on PostgreSQL), so that of two uses at once the one that would heal nothing fails and its item stays.
      if (character.hp >= character.maxHp) throw full(character);
      await sys.execute('character.take_items', { characterId, items: [{ itemId, count: 1 }], reason: 'use' });
      const updated = await characters.update(characterId, (c) => {
        if (c.hp >= c.maxHp) throw full(c);
        return { ...c, hp: Math.min(c.maxHp, c.hp + heal) };
      });
      sys.logger.debug({ characterId, itemId, healed: updated.value.hp - character.hp }, 'item used');
      return { hp: updated.value.hp, maxHp: updated.value.maxHp };
    },
  );
}
