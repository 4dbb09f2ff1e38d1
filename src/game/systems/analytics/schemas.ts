import { z } from 'zod';

/** How many hours the summary covers, ending with the current one. */
export const SummaryInput = z.strictObject({ hours: z.int().min(1).max(168).default(24) });

/** Gold by source (entering the game) and by sink (leaving it); exact up to 2^53. */
const Gold = z.strictObject({ sources: z.record(z.string(), z.number()), sinks: z.record(z.string(), z.number()) });
const Counts = z.record(z.string(), z.int());

/** The game's activity over the last hours: per hour (every hour of the range, oldest first) and in all. */
export const Summary = z.strictObject({
  /** The first hour of the range and the current one, ISO. */
  from: z.string(),
  to: z.string(),
  hours: z.array(
    z.strictObject({
      hour: z.string(),
      events: z.int(),
      /** Events per publishing system. */
      bySystem: Counts,
      /** Distinct characters named in that hour's events. */
      activeCharacters: z.int(),
      gold: Gold,
    }),
  ),
  totals: z.strictObject({
    events: z.int(),
    byType: Counts,
    bySystem: Counts,
    /** Distinct characters over the whole range. */
    activeCharacters: z.int(),
    gold: Gold,
  }),
});
export type Summary = z.infer<typeof Summary>;
