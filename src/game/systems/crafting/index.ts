import { z } from 'zod';
import { ConflictError, NotFoundError, defineSystem, type SystemDefinition } from '../../../integration/index.js';
import { contentOf } from '../../shared/content.js';

const recipes = contentOf(
  'recipes',
  z.object({
    id: z.string(),
    inputs: z.array(z.object({ itemId: z.string(), count: z.int() })),
    output: z.object({ itemId: z.string(), count: z.int() }),
    fee: z.int(),
    level: z.int(),
  }),
);

export const CraftInput = z.strictObject({
  characterId: z.string().min(1).max(64),
  recipeId: z.string().min(1).max(64),
  times: z.int().min(1).max(100).default(1),
});
export const CraftResult = z.strictObject({
  characterId: z.string(),
  recipeId: z.string(),
  itemId: z.string(),
  made: z.int(),
  fee: z.int(),
  gold: z.int(),
});
export const ItemCrafted = z.strictObject({
  characterId: z.string(),
  ownerId: z.string(),
  recipeId: z.string(),
  itemId: z.string(),
  /** Items made. */
  count: z.int().min(1),
});

declare module '../../../integration/index.js' {
  interface WeftCommands {
    'crafting.craft': { input: z.input<typeof CraftInput>; output: z.infer<typeof CraftResult> };
  }
  interface WeftEvents {
    'crafting.item_crafted': z.infer<typeof ItemCrafted>;
  }
}

/**
 * The crafting system: a recipe turns ingredients and a fee into its output, in one transaction
 * across character (items) and economy (gold). Missing items or gold is a 409 naming all that is
 * missing, and nothing changes.
 */
export function craftingSystem(): SystemDefinition<'crafting'> {
  return defineSystem({
    name: 'crafting',
    setup(sys) {
      const crafted = sys.events.define({
        name: 'item_crafted',
        durable: true,
        schema: ItemCrafted,
        partitionKey: (e) => e.characterId,
      });

      sys.command(
        'craft',
        { input: CraftInput, output: CraftResult, idempotent: true, description: 'Crafts a recipe a number of times.' },
        async ({ characterId, recipeId, times }) => {
          const character = await sys.execute('character.get', { characterId });
          const recipe = (await recipes(sys.execute)).find((r) => r.id === recipeId);
          if (recipe === undefined) throw new NotFoundError(`No recipe ${recipeId}.`, { details: { recipeId } });
          if (character.level < recipe.level) {
            throw new ConflictError(
              `${recipeId} needs level ${recipe.level}; ${character.name} is level ${character.level}.`,
              {
                details: { needed: recipe.level, level: character.level },
              },
            );
          }
          const ingredients = recipe.inputs.map((input) => ({ itemId: input.itemId, count: input.count * times }));
          const fee = recipe.fee * times;
          // Both shortfalls at once: a player should not find out about the gold only after fixing the items.
          const missingItems = ingredients.flatMap(({ itemId, count }) => {
            const have = character.inventory[itemId] ?? 0;
            return have >= count ? [] : [{ itemId, needed: count, have }];
          });
          const wallet = await sys.execute('economy.wallet', { characterId });
          const gold = wallet.status === 'open' ? wallet.gold : 0;
          const missingGold = fee > gold ? fee - gold : 0;
          if (missingItems.length > 0 || missingGold > 0) {
            const parts = [
              ...missingItems.map((m) => `${m.itemId} (${m.have} of ${m.needed})`),
              ...(missingGold > 0 ? [`${missingGold} gold`] : []),
            ];
            throw new ConflictError(`Missing for ${recipeId} x${times}: ${parts.join(', ')}.`, {
              details: { missingItems, missingGold },
            });
          }
          await sys.execute('character.take_items', { characterId, items: ingredients, reason: 'craft' });
          const paid =
            fee > 0 ? await sys.execute('economy.debit', { characterId, gold: fee, sink: 'crafting_fee' }) : undefined;
          const made = recipe.output.count * times;
          await sys.execute('character.give_items', {
            characterId,
            items: [{ itemId: recipe.output.itemId, count: made }],
            reason: 'craft',
          });
          await sys.events.publish(crafted, {
            characterId,
            ownerId: character.ownerId,
            recipeId,
            itemId: recipe.output.itemId,
            count: made,
          });
          return { characterId, recipeId, itemId: recipe.output.itemId, made, fee, gold: paid?.gold ?? gold };
        },
      );
    },
  });
}
