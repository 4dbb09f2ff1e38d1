import { z } from 'zod';
import { ConflictError, ValidationError, defineSystem, type SystemDefinition } from '../../../integration/index.js';
import { contentOf } from '../../shared/content.js';
import { unknownReference } from '../../shared/input-issues.js';
import { linked, linksOf } from './map.js';
import { Clock, Tick, TravelInput, Travelled, World, type RegionView } from './schemas.js';

// What this system reads of the content: the regions, as it serves them.
const regions = contentOf(
  'regions',
  z
    .object({
      id: z.string(),
      name: z.string(),
      level: z.object({ min: z.int(), max: z.int() }),
      neighbors: z.array(z.string()),
      monsters: z.array(z.string()),
      start: z.boolean().optional(),
    })
    .transform((region): RegionView => ({ ...region, start: region.start === true })),
);

/** The one key of the clock slice: there is one world. */
const WORLD = 'world';
/** The clock before its first tick. */
const STOPPED: Clock = { tick: 0, at: null };

declare module '../../../integration/index.js' {
  interface WeftCommands {
    'world_state.world': { input: Record<string, never>; output: World };
    'world_state.travel': { input: z.input<typeof TravelInput>; output: Travelled };
    'world_state.tick': { input: Record<string, never>; output: Tick };
  }
  interface WeftEvents {
    'world_state.tick': Tick;
  }
}

/** Options of the world state system. */
export interface WorldStateOptions {
  /** The clock ticks are stamped with (tests move it). */
  readonly now?: () => number;
}

/**
 * The world state system: the regions and the links between them (from content), and a world
 * clock that the `world_state.tick` command advances (the server runs it every
 * `WEFT_WORLD_TICK_MS`), announcing each tick as a volatile event. Characters travel only along
 * links, through `character.move`.
 */
export function worldStateSystem(options: WorldStateOptions = {}): SystemDefinition<'world_state'> {
  const now = options.now ?? Date.now;
  return defineSystem({
    name: 'world_state',
    setup(sys) {
      const clock = sys.state.slice('clock', { schema: Clock });
      // Volatile: a tick is a notification, at most once; a subscriber that misses one reads the clock.
      const ticked = sys.events.define({ name: 'tick', durable: false, schema: Tick });

      sys.command(
        'world',
        {
          input: z.strictObject({}),
          output: World,
          readOnly: true,
          description: 'The regions, the links between them, and the clock.',
        },
        async () => {
          const all = await regions(sys.execute);
          const current = await clock.get(WORLD);
          return { regions: [...all], links: linksOf(all), clock: current ?? STOPPED };
        },
      );

      sys.command(
        'travel',
        {
          input: TravelInput,
          output: Travelled,
          idempotent: true,
          description: 'Moves a character to a region linked to its own.',
        },
        async ({ characterId, regionId }) => {
          // Runs as the caller: another player's character is a 404.
          const character = await sys.execute('character.get', { characterId });
          const all = await regions(sys.execute);
          if (!all.some((region) => region.id === regionId)) {
            throw new ValidationError(`Unknown region ${JSON.stringify(regionId)}.`, {
              details: { regionId },
              issues: [unknownReference('regionId', 'region', regionId)],
            });
          }
          const from = character.region;
          if (from === regionId) {
            throw new ConflictError(`${character.name} is in ${regionId} already.`, { details: { regionId } });
          }
          const links = linksOf(all);
          if (!linked(links, from, regionId)) {
            const reachable = links.flatMap((l) => (l.from === from ? [l.to] : l.to === from ? [l.from] : []));
            throw new ConflictError(
              `${regionId} is not linked to ${from}; from ${from} a character can go to ${reachable.join(', ') || 'nowhere'}.`,
              { details: { from, to: regionId, reachable } },
            );
          }
          // `from`: a travel that raced another one finds the character elsewhere, a 409, rather than jumping along no
          // link.
          await sys.execute('character.move', { characterId, regionId, from });
          return { characterId, from, to: regionId };
        },
      );

      sys.command(
        'tick',
        {
          input: z.strictObject({}),
          output: Tick,
          description: 'Advances the world clock by one tick and announces it.',
          // Outside the command's transaction, where a write that loses a race is retried: the clock must
          // exist before the tick, because in a transaction only an existing entry is locked while it is
          // read, and concurrent first ticks would otherwise collide on its creation (a 409 on PostgreSQL).
          prepare: async () => {
            if ((await clock.get(WORLD)) === undefined) await clock.upsert(WORLD, (current) => current ?? STOPPED);
          },
        },
        async () => {
          const at = new Date(now()).toISOString();
          const next = await clock.update(WORLD, (current) => ({ tick: current.tick + 1, at }));
          const tick = { tick: next.value.tick, at };
          await sys.events.publish(ticked, tick);
          return tick;
        },
      );
    },
  });
}
