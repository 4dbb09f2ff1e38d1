import { randomUUID } from 'node:crypto';
import { defineSystem, type SystemDefinition } from 'weft';
import { createTestIntegration, type TestIntegration, type TestIntegrationOptions } from 'weft/testing';
import { z } from 'zod';
import { gameSystems } from '../../src/game/index.js';
import { analyticsSystem, type AnalyticsOptions } from '../../src/game/systems/analytics/index.js';
import { dialogueSystem } from '../../src/game/systems/dialogue/index.js';
import { diplomacySystem } from '../../src/game/systems/diplomacy/index.js';
import { questSystem } from '../../src/game/systems/quest/index.js';

// Shared by the quest, dialogue, diplomacy and analytics tests: the game with these four systems, and stand-ins for
// the events of the combat and crafting systems, which are built beside them.

export const ann = { kind: 'user', id: 'user-ann', roles: ['player'] } as const;
export const bob = { kind: 'user', id: 'user-bob', roles: ['player'] } as const;

/** `combat.encounter_resolved` as the combat system announced it. */
const EncounterResolved = z.strictObject({
  encounterId: z.string(),
  characterId: z.string(),
  ownerId: z.string(),
  monsterId: z.string(),
  faction: z.string(),
  region: z.string(),
  won: z.boolean(),
  xp: z.int().min(0),
  hpLost: z.int().min(0),
  loot: z.array(z.strictObject({ itemId: z.string(), count: z.int().min(1) })),
  gold: z.int().min(0),
});
export type EncounterResolved = z.infer<typeof EncounterResolved>;
/** `crafting.item_crafted` as the crafting system announced it. */
const ItemCrafted = z.strictObject({
  characterId: z.string(),
  ownerId: z.string(),
  recipeId: z.string(),
  itemId: z.string(),
  count: z.int().min(1),
});
export type ItemCrafted = z.infer<typeof ItemCrafted>;

/** Systems that only define the events of combat and crafting, for as long as the game does not have them. */
function standIns(installed: readonly SystemDefinition[]): SystemDefinition[] {
  const names = new Set(installed.map((s) => s.name));
  const made: SystemDefinition[] = [];
  if (!names.has('combat')) {
    made.push(
      defineSystem({
        name: 'combat',
        setup(sys) {
          sys.events.define({
            name: 'encounter_resolved',
            durable: true,
            schema: EncounterResolved,
            partitionKey: (e) => e.characterId,
          });
        },
      }),
    );
  }
  if (!names.has('crafting')) {
    made.push(
      defineSystem({
        name: 'crafting',
        setup(sys) {
          sys.events.define({
            name: 'item_crafted',
            durable: true,
            schema: ItemCrafted,
            partitionKey: (e) => e.characterId,
          });
        },
      }),
    );
  }
  return made;
}

/** The game, the stand-ins and the four systems (those the game does not install already), wired. */
export async function questWorld(
  options: TestIntegrationOptions,
  analytics: AnalyticsOptions = {},
): Promise<TestIntegration> {
  const weft = await createTestIntegration({ pollIntervalMs: 20, ...options });
  const game = gameSystems();
  const names = new Set(game.map((s) => s.name));
  const ours = [questSystem(), dialogueSystem(), diplomacySystem(), analyticsSystem(analytics)].filter(
    (s) => !names.has(s.name),
  );
  await weft.install(...game, ...standIns(game), ...ours);
  weft.assertWired();
  return weft;
}

/**
 * Publishes another system's event as that system would. The bus's static type knows no event
 * (each system declares its own); the event's schema checks the data when it is published.
 */
export async function publishAs(weft: TestIntegration, source: string, type: string, data: unknown): Promise<void> {
  await weft.events.publish(type as never, data as never, { source });
}

/** A fight's outcome for `characterId`: won unless told, with no xp, loot or gold, so only what is tested moves. */
export function fight(
  character: { id: string; ownerId: string },
  monsterId: string,
  faction: string,
  won = true,
): EncounterResolved {
  return {
    encounterId: randomUUID(),
    characterId: character.id,
    ownerId: character.ownerId,
    monsterId,
    faction,
    region: 'greenvale',
    won,
    xp: 0,
    hpLost: 0,
    loot: [],
    gold: 0,
  };
}

/** Publishes fights, one event each. */
export async function fights(weft: TestIntegration, outcomes: readonly EncounterResolved[]): Promise<void> {
  for (const outcome of outcomes) await publishAs(weft, 'combat', 'combat.encounter_resolved', outcome);
}
