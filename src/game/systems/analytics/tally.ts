import { z } from 'zod';
import type { EventEnvelope } from '../../../integration/index.js';

const HOUR_MS = 3_600_000;

/** The start of the hour `ms` falls in, as ISO text: the key of every hourly row. */
export function hourOf(ms: number): string {
  return new Date(Math.floor(ms / HOUR_MS) * HOUR_MS).toISOString();
}

/** The start of the hour `hours` hours after (or before, when negative) the hour `hour` starts. */
export function hoursAfter(hour: string, hours: number): string {
  return hourOf(Date.parse(hour) + hours * HOUR_MS);
}

/** What one batch of events adds to the hourly rows, summed per row key. */
export interface Tally {
  readonly counts: Map<string, { hour: string; type: string; system: string; count: number }>;
  readonly actives: Map<string, { hour: string; characterId: string }>;
  readonly gold: Map<string, { hour: string; side: 'source' | 'sink'; name: string; amount: number }>;
}

/** Any event whose data names a character: it was active that hour. */
const NamesCharacter = z.object({ characterId: z.string().min(1) });
/** What analytics reads of `economy.gold_moved`: the lines of the movement. */
const GoldMoved = z.object({ lines: z.array(z.object({ account: z.string(), amount: z.int() })) });

/**
 * Sums a batch into hourly rows: events per type and publishing system, the characters named in
 * event data (`characterId`), and gold entering through sources (`source:<name>` lines, which are
 * negative) and leaving through sinks (`sink:<name>` lines). Events before `since` (an hour) are
 * past the retention and left out.
 */
export function tally(events: readonly EventEnvelope[], since: string): Tally {
  const result: Tally = { counts: new Map(), actives: new Map(), gold: new Map() };
  for (const event of events) {
    const hour = hourOf(Date.parse(event.time));
    if (hour < since) continue;
    const countKey = `${hour}\u0000${event.type}\u0000${event.source}`;
    const counted = result.counts.get(countKey);
    if (counted === undefined) result.counts.set(countKey, { hour, type: event.type, system: event.source, count: 1 });
    else counted.count++;
    const named = NamesCharacter.safeParse(event.data);
    if (named.success) {
      const { characterId } = named.data;
      result.actives.set(`${hour}\u0000${characterId}`, { hour, characterId });
    }
    if (event.type === 'economy.gold_moved') addGold(result, hour, GoldMoved.parse(event.data).lines);
  }
  return result;
}

function addGold(result: Tally, hour: string, lines: ReadonlyArray<{ account: string; amount: number }>): void {
  for (const { account, amount } of lines) {
    const [kind, ...rest] = account.split(':');
    if (kind !== 'source' && kind !== 'sink') continue;
    const name = rest.join(':');
    // A source's line is what it paid out (negative); a sink's is what it took in (positive).
    const gold = kind === 'source' ? -amount : amount;
    const key = `${hour}\u0000${kind}\u0000${name}`;
    const kept = result.gold.get(key);
    if (kept === undefined) result.gold.set(key, { hour, side: kind, name, amount: gold });
    else kept.amount += gold;
  }
}
