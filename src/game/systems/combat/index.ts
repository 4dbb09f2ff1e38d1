import { randomInt, randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  ConflictError,
  NotFoundError,
  ValidationError,
  defineSystem,
  type Actor,
  type SystemDefinition,
} from '../../../integration/index.js';
import { contentOf } from '../../shared/content.js';
import { unknownReference } from '../../shared/input-issues.js';
import { SEED_LIMIT, resolveFight } from './fight.js';
import { replayEncounter } from './replay.js';
import { Encounter, EncounterRef, EncounterResolved, FightInput, MonsterSide, Replay } from './schemas.js';
import { characterSide } from './stats.js';

// What this system reads of the content: only the fields it uses.
const classes = contentOf(
  'classes',
  z.object({
    id: z.string(),
    base: z.object({ attack: z.int(), defense: z.int() }),
    perLevel: z.object({ attack: z.int(), defense: z.int() }),
  }),
);
const items = contentOf(
  'items',
  z.object({
    id: z.string(),
    kind: z.string(),
    stats: z.object({ attack: z.int().optional(), defense: z.int().optional() }).optional(),
  }),
);
const monsters = contentOf('monsters', z.object(MonsterSide.shape));
const regions = contentOf('regions', z.object({ id: z.string(), monsters: z.array(z.string()) }));

declare module '../../../integration/index.js' {
  interface WeftCommands {
    'combat.fight': { input: z.input<typeof FightInput>; output: Encounter };
    'combat.encounter': { input: z.input<typeof EncounterRef>; output: Encounter };
    'combat.replay': { input: z.input<typeof EncounterRef>; output: Replay };
  }
  interface WeftEvents {
    'combat.encounter_resolved': EncounterResolved;
  }
}

/** Options of the combat system. */
export interface CombatOptions {
  /** Draws the seed of a new fight (default: crypto's `randomInt`); tests fix it to compare fights. */
  readonly seed?: () => number;
  /** The clock encounters are stamped with. */
  readonly now?: () => number;
}

/** Whether `actor` may read `encounter`: its owner, an operator, or a system acting for the game. */
function mayRead(actor: Actor, encounter: Pick<Encounter, 'ownerId'>): boolean {
  return actor.kind === 'system' || actor.id === encounter.ownerId || (actor.roles ?? []).includes('admin');
}

/**
 * The combat system: a character fights a monster of its region in a fight decided by a stored
 * seed, so every encounter can be replayed round by round. It changes no other system's state: the
 * outcome is published (`combat.encounter_resolved`), and the character (hp, xp, loot) and the
 * economy (gold) apply it.
 */
export function combatSystem(options: CombatOptions = {}): SystemDefinition<'combat'> {
  const drawSeed = options.seed ?? (() => randomInt(SEED_LIMIT));
  const now = options.now ?? Date.now;
  return defineSystem({
    name: 'combat',
    setup(sys) {
      const encounters = sys.state.slice('encounters', { schema: Encounter });
      const resolved = sys.events.define({
        name: 'encounter_resolved',
        durable: true,
        schema: EncounterResolved,
        partitionKey: (e) => e.characterId,
      });
      const fights = sys.metrics.counter('encounters_total', {
        help: 'Fights resolved, by result.',
        labelNames: ['result'],
      });

      /** The encounter, when `actor` may read it; a 404 otherwise, so ids cannot be probed. */
      async function readable(actor: Actor, encounterId: string): Promise<Encounter> {
        const encounter = await encounters.get(encounterId);
        if (encounter === undefined || !mayRead(actor, encounter)) {
          throw new NotFoundError(`No encounter ${encounterId} of yours.`, { details: { encounterId } });
        }
        return encounter;
      }

      sys.command(
        'fight',
        {
          input: FightInput,
          output: Encounter,
          idempotent: true,
          description: 'Fights a monster of the character’s region.',
        },
        async ({ characterId, monsterId }) => {
          // Runs as the caller: another player's character is a 404.
          const character = await sys.execute('character.get', { characterId });
          const monster = (await monsters(sys.execute)).find((m) => m.id === monsterId);
          if (monster === undefined) {
            throw new ValidationError(`Unknown monster ${JSON.stringify(monsterId)}.`, {
              details: { monsterId },
              issues: [unknownReference('monsterId', 'monster', monsterId)],
            });
          }
          const region = (await regions(sys.execute)).find((r) => r.id === character.region);
          if (region === undefined || !region.monsters.includes(monsterId)) {
            throw new ConflictError(`No ${monsterId} is found in ${character.region}.`, {
              details: { monsterId, region: character.region, monsters: region?.monsters ?? [] },
            });
          }
          if (character.hp === 0) {
            throw new ConflictError(`${character.name} has 0 hp and cannot fight.`, { details: { characterId } });
          }
          const characterClass = (await classes(sys.execute)).find((c) => c.id === character.class);
          if (characterClass === undefined) throw new NotFoundError(`The content has no class ${character.class}.`);
          const inputs = { character: characterSide(character, characterClass, await items(sys.execute)), monster };
          const seed = drawSeed();
          const outcome = resolveFight(seed, inputs);
          const encounter: Encounter = {
            id: randomUUID(),
            characterId,
            ownerId: character.ownerId,
            monsterId,
            region: region.id,
            seed,
            inputs,
            ...outcome,
            at: new Date(now()).toISOString(),
          };
          await encounters.create(encounter.id, encounter);
          await sys.events.publish(resolved, {
            encounterId: encounter.id,
            characterId,
            ownerId: character.ownerId,
            monsterId,
            faction: monster.faction,
            region: region.id,
            won: outcome.result === 'won',
            xp: outcome.xp,
            hpLost: outcome.hpLost,
            loot: outcome.loot,
            gold: outcome.gold,
          });
          fights.inc({ result: outcome.result });
          return encounter;
        },
      );

      sys.command(
        'encounter',
        { input: EncounterRef, output: Encounter, readOnly: true, description: 'One of the caller’s encounters.' },
        ({ encounterId }, { actor }) => readable(actor, encounterId),
      );

      sys.command(
        'replay',
        {
          input: EncounterRef,
          output: Replay,
          readOnly: true,
          description: 'Runs one of the caller’s encounters again from its seed and says whether it came out the same.',
        },
        async ({ encounterId }, { actor }) => replayEncounter(await readable(actor, encounterId)),
      );
    },
  });
}
