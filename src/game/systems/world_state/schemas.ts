import { z } from 'zod';

const Id = z.string().min(1).max(64);

/** The world clock: how many ticks have run, and when the latest ran (null before the first). */
export const Clock = z.strictObject({ tick: z.int().min(0), at: z.string().nullable() });
export type Clock = z.infer<typeof Clock>;

/** A region as the world serves it: its level range, neighbours, monsters, and whether characters start there. */
export const RegionView = z.strictObject({
  id: z.string(),
  name: z.string(),
  level: z.strictObject({ min: z.int(), max: z.int() }),
  neighbors: z.array(z.string()),
  monsters: z.array(z.string()),
  start: z.boolean(),
});
export type RegionView = z.infer<typeof RegionView>;

/** A path between two regions, both ways: listed once, `from` before `to` in id order. */
export const Link = z.strictObject({ from: z.string(), to: z.string() });
export type Link = z.infer<typeof Link>;

export const World = z.strictObject({ regions: z.array(RegionView), links: z.array(Link), clock: Clock });
export type World = z.infer<typeof World>;

export const TravelInput = z.strictObject({ characterId: Id, regionId: Id });
export const Travelled = z.strictObject({ characterId: z.string(), from: z.string(), to: z.string() });
export type Travelled = z.infer<typeof Travelled>;

/** The volatile event of each tick: for high-rate notifications, at most once, never replayed. */
export const Tick = z.strictObject({ tick: z.int().min(1), at: z.string() });
export type Tick = z.infer<typeof Tick>;
