import { randomUUID } from 'node:crypto';
import type { WeftEvents } from 'weft';
import { createTestIntegration, type TestIntegration, type TestIntegrationOptions } from 'weft/testing';
import { gameSystems } from '../../src/game/index.js';
import { analyticsSystem, type AnalyticsOptions } from '../../src/game/systems/analytics/index.js';

// Shared by the quest, dialogue, diplomacy and analytics tests: the whole game, and helpers that publish the events
// of combat and crafting directly, so a test moves only what it checks.

export const ann = { kind: 'user', id: 'user-ann', roles: ['player'] } as const;
export const bob = { kind: 'user', id: 'user-bob', roles: ['player'] } as const;

/** `combat.encounter_resolved` as the combat system announces it. */
export type EncounterResolved = WeftEvents['combat.encounter_resolved'];
/** `crafting.item_crafted` as the crafting system announces it. */
export type ItemCrafted = WeftEvents['crafting.item_crafted'];

/** The game, wired, with analytics on the options a test gives it (a clock it moves, a short retention). */
export async function questWorld(
  options: TestIntegrationOptions,
  analytics: AnalyticsOptions = {},
): Promise<TestIntegration> {
  const weft = await createTestIntegration({ pollIntervalMs: 20, ...options });
  const game = gameSystems().filter((s) => s.name !== 'analytics');
  await weft.install(...game, analyticsSystem(analytics));
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
