import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  ConflictError,
  NotFoundError,
  ValidationError,
  defineSystem,
  type Actor,
  type SystemDefinition,
  issue,
} from '../../../integration/index.js';
import { contentOf } from '../../shared/content.js';
import { unknownReference } from '../../shared/input-issues.js';
import { inventoryCommands } from './inventory.js';
import { withItems, withXp } from './rules.js';
import {
  Character,
  CharacterRef,
  CreateInput,
  Created,
  HpInput,
  type Inventory,
  ItemsChanged,
  type ItemsInput,
  LeveledUp,
  MoveInput,
  Moved,
  XpInput,
} from './schemas.js';

/** A player may hold this many characters. */
const MAX_CHARACTERS = 10;

// What this system reads of the content: only the fields it uses.
const classes = contentOf(
  'classes',
  z.object({
    id: z.string(),
    base: z.object({ hp: z.int() }),
    perLevel: z.object({ hp: z.int() }),
    startingItems: z.array(z.object({ itemId: z.string(), count: z.int() })),
    startingGold: z.int(),
    xpThresholds: z.array(z.int()),
  }),
);
const regions = contentOf('regions', z.object({ id: z.string(), start: z.boolean().optional() }));

/** What this system reads of `combat.encounter_resolved`. */
const EncounterResolved = z.object({
  characterId: z.string(),
  xp: z.int().min(0),
  hpLost: z.int().min(0),
  loot: z.array(z.object({ itemId: z.string(), count: z.int().min(1) })),
});

declare module '../../../integration/index.js' {
  interface WeftCommands {
    'character.create': { input: { name: string; class: string }; output: Character };
    'character.list': { input: Record<string, never>; output: { characters: Character[] } };
    'character.get': { input: { characterId: string }; output: Character };
    'character.give_items': { input: z.input<typeof ItemsInput>; output: { inventory: Inventory } };
    'character.take_items': { input: z.input<typeof ItemsInput>; output: { inventory: Inventory } };
    'character.gain_xp': {
      input: { characterId: string; xp: number };
      output: { level: number; xp: number; leveledUp: boolean };
    };
    'character.change_hp': { input: { characterId: string; delta: number }; output: { hp: number; maxHp: number } };
    'character.move': { input: { characterId: string; regionId: string; from?: string }; output: { region: string } };
    'character.use_item': { input: { characterId: string; itemId: string }; output: { hp: number; maxHp: number } };
  }
  interface WeftEvents {
    'character.created': z.infer<typeof Created>;
    'character.leveled_up': z.infer<typeof LeveledUp>;
    'character.items_changed': z.infer<typeof ItemsChanged>;
    'character.moved': z.infer<typeof Moved>;
  }
}

/** Whether `actor` may see and act on `character`: its owner, an operator, or a system acting for the game. */
export function mayActOn(actor: Actor, character: Pick<Character, 'ownerId'>): boolean {
  return actor.kind === 'system' || actor.id === character.ownerId || (actor.roles ?? []).includes('admin');
}

/**
 * The character system: a player's characters (class, level, xp, hp, region, inventory). Other
 * systems change them only through its commands (give and take items, xp, hp, moves), so the
 * inventory can never go negative; every change is published.
 */
export function characterSystem(): SystemDefinition<'character'> {
  return defineSystem({
    name: 'character',
    setup(sys) {
      const characters = sys.state.slice('characters', {
        schema: Character,
        invariants: { 'hp within max': (c) => c.hp <= c.maxHp || `hp ${c.hp} above max ${c.maxHp}` },
      });
      // Names are unique whatever their case: the lower-case name is a key, taken by one character.
      const names = sys.state.slice('names', { schema: z.strictObject({ characterId: z.string() }) });
      const owned = sys.state.slice('owned', { schema: z.strictObject({ ids: z.array(z.string()) }) });
      const created = sys.events.define({
        name: 'created',
        durable: true,
        schema: Created,
        partitionKey: (e) => e.characterId,
      });
      const leveledUp = sys.events.define({
        name: 'leveled_up',
        durable: true,
        schema: LeveledUp,
        partitionKey: (e) => e.characterId,
      });
      const itemsChanged = sys.events.define({
        name: 'items_changed',
        durable: true,
        schema: ItemsChanged,
        partitionKey: (e) => e.characterId,
      });
      const moved = sys.events.define({
        name: 'moved',
        durable: true,
        schema: Moved,
        partitionKey: (e) => e.characterId,
      });

      /** The character, when `actor` may act on it; a 404 otherwise, so ids cannot be probed. */
      async function mine(actor: Actor, characterId: string): Promise<Character> {
        const character = await characters.get(characterId);
        if (character === undefined || !mayActOn(actor, character)) {
          throw new NotFoundError(`No character ${characterId} of yours.`, { details: { characterId } });
        }
        return character;
      }

      sys.command(
        'create',
        { input: CreateInput, output: Character, description: 'Creates a character of a class, in the start region.' },
        async (input, { actor }) => {
          if (actor.kind !== 'user') {
            // Named as the command bus names an actor it refuses.
            throw new ValidationError('Characters belong to players: sign in.', {
              issues: [issue(['actor'], 'not_a_player', 'a character is created by a player', 'a user', actor.kind)],
            });
          }
          const characterClass = (await classes(sys.execute)).find((c) => c.id === input.class);
          if (characterClass === undefined) {
            throw new ValidationError(`Unknown class ${JSON.stringify(input.class)}.`, {
              details: { class: input.class },
              issues: [unknownReference('class', 'class', input.class)],
            });
          }
          const start = (await regions(sys.execute)).find((r) => r.start === true);
          if (start === undefined) throw new NotFoundError('The content has no start region.');
          const tooMany = () => new ConflictError(`A player has at most ${MAX_CHARACTERS} characters.`);
          // Checked here so that a player at the cap is told before anything is written, and again below on the value
          // the update holds (locked on PostgreSQL): of creations at once, each counts the others that committed.
          if (((await owned.get(actor.id))?.ids.length ?? 0) >= MAX_CHARACTERS) throw tooMany();
          const id = randomUUID();
          await names.create(input.name.toLowerCase(), { characterId: id }).catch((error: unknown) => {
            throw error instanceof ConflictError
              ? new ConflictError(`The name ${input.name} is taken.`, { details: { name: input.name } })
              : error;
          });
          await owned.upsert(actor.id, (list) => {
            const ids = list?.ids ?? [];
            if (ids.length >= MAX_CHARACTERS) throw tooMany();
            return { ids: [...ids, id] };
          });
          const inventory = withItems({}, characterClass.startingItems);
          const character: Character = {
            id,
            ownerId: actor.id,
            name: input.name,
            class: characterClass.id,
            level: 1,
            xp: 0,
            hp: characterClass.base.hp,
            maxHp: characterClass.base.hp,
            region: start.id,
            inventory,
            createdAt: new Date().toISOString(),
          };
          await characters.create(id, character);
          await sys.events.publish(created, {
            characterId: id,
            ownerId: actor.id,
            name: input.name,
            class: characterClass.id,
            region: start.id,
            startingGold: characterClass.startingGold,
          });
          return character;
        },
      );

      sys.command(
        'list',
        {
          input: z.strictObject({}),
          output: z.strictObject({ characters: z.array(Character) }),
          readOnly: true,
          description: 'The caller’s characters.',
        },
        async (_input, { actor }) => {
          const ids = (await owned.get(actor.id))?.ids ?? [];
          const found = await Promise.all(ids.map((id) => characters.get(id)));
          return { characters: found.filter((c): c is Character => c !== undefined) };
        },
      );

      sys.command(
        'get',
        { input: CharacterRef, output: Character, readOnly: true, description: 'One of the caller’s characters.' },
        ({ characterId }, { actor }) => mine(actor, characterId),
      );

      inventoryCommands(sys, { characters, itemsChanged, mine });

      sys.command(
        'gain_xp',
        { input: XpInput, output: z.strictObject({ level: z.int(), xp: z.int(), leveledUp: z.boolean() }) },
        async ({ characterId, xp }, { actor }) => {
          const character = await mine(actor, characterId);
          const characterClass = (await classes(sys.execute)).find((c) => c.id === character.class);
          const curve = {
            xpThresholds: characterClass?.xpThresholds ?? [],
            hpPerLevel: characterClass?.perLevel.hp ?? 0,
          };
          let gained = 0;
          // From the value the update holds (locked on PostgreSQL), not the read above: two gains at once (a fight's
          // and a quest's) each add theirs; computed from the earlier read, the later write dropped the other's xp.
          const updated = await characters.update(characterId, (c) => {
            const after = withXp(c, xp, curve);
            gained = after.gained;
            return after.character;
          });
          if (gained > 0)
            await sys.events.publish(leveledUp, {
              characterId,
              ownerId: character.ownerId,
              level: updated.value.level,
            });
          return { level: updated.value.level, xp: updated.value.xp, leveledUp: gained > 0 };
        },
      );

      sys.command(
        'change_hp',
        { input: HpInput, output: z.strictObject({ hp: z.int(), maxHp: z.int() }) },
        async ({ characterId, delta }, { actor }) => {
          await mine(actor, characterId);
          const updated = await characters.update(characterId, (c) => ({
            ...c,
            hp: Math.max(0, Math.min(c.maxHp, c.hp + delta)),
          }));
          return { hp: updated.value.hp, maxHp: updated.value.maxHp };
        },
      );

      sys.command(
        'move',
        { input: MoveInput, output: z.strictObject({ region: z.string() }) },
        async ({ characterId, regionId, from }, { actor }) => {
          const character = await mine(actor, characterId);
          if (!(await regions(sys.execute)).some((r) => r.id === regionId))
            throw new ValidationError(`Unknown region ${JSON.stringify(regionId)}.`, {
              details: { regionId },
              issues: [unknownReference('regionId', 'region', regionId)],
            });
          // Checked on the value the update holds (locked on PostgreSQL): two moves at once, each from the same
          // region, cannot both pass.
          let before = character.region;
          await characters.update(characterId, (c) => {
            if (from !== undefined && c.region !== from) {
              throw new ConflictError(`${c.name} is in ${c.region} now, not ${from}.`, {
                details: { region: c.region },
              });
            }
            before = c.region;
            return { ...c, region: regionId };
          });
          await sys.events.publish(moved, {
            characterId,
            ownerId: character.ownerId,
            from: before,
            to: regionId,
          });
          return { region: regionId };
        },
      );

      // A fight's outcome: the xp, the hp it cost, the loot (gold is the economy's).
      sys.events.subscribe('combat.encounter_resolved', async (event) => {
        const resolved = EncounterResolved.parse(event.data);
        const character = await characters.get(resolved.characterId);
        if (character === undefined) return;
        if (resolved.hpLost > 0)
          await sys.execute('character.change_hp', { characterId: resolved.characterId, delta: -resolved.hpLost });
        if (resolved.xp > 0)
          await sys.execute('character.gain_xp', { characterId: resolved.characterId, xp: resolved.xp });
        if (resolved.loot.length > 0) {
          await sys.execute('character.give_items', {
            characterId: resolved.characterId,
            items: resolved.loot,
            reason: 'loot',
          });
        }
      });
    },
  });
}
