import type { GoldSides, HourlyRows } from './store.js';
import type { Summary } from './schemas.js';
import { hoursAfter } from './tally.js';

/**
 * The summary of the hours `from` to `last` (both hour starts): every hour listed, oldest first, zeros included. Its
 * `to` is the end of the last hour, so `[from, to)` is the range, as the economy's history answers it.
 */
export function summarize(rows: HourlyRows, from: string, last: string): Summary {
  const hours = new Map<string, Summary['hours'][number]>();
  for (let hour = from; hour <= last; hour = hoursAfter(hour, 1)) {
    hours.set(hour, { hour, events: 0, bySystem: {}, activeCharacters: 0, gold: { sources: {}, sinks: {} } });
  }
  const totals: Summary['totals'] = {
    events: 0,
    byType: {},
    bySystem: {},
    activeCharacters: rows.activeOverall,
    gold: { sources: {}, sinks: {} },
  };
  for (const row of rows.events) {
    const hour = hours.get(row.hour);
    if (hour === undefined) continue;
    hour.events += row.count;
    add(hour.bySystem, row.system, row.count);
    totals.events += row.count;
    add(totals.byType, row.type, row.count);
    add(totals.bySystem, row.system, row.count);
  }
  for (const row of rows.actives) {
    const hour = hours.get(row.hour);
    if (hour !== undefined) hour.activeCharacters = row.count;
  }
  for (const row of rows.gold) {
    const hour = hours.get(row.hour);
    if (hour === undefined) continue;
    add(sideOf(hour.gold, row.side), row.name, row.amount);
    add(sideOf(totals.gold, row.side), row.name, row.amount);
  }
  return { from, to: hoursAfter(last, 1), hours: [...hours.values()], totals };
}

function add(counts: Record<string, number>, key: string, amount: number): void {
  counts[key] = (counts[key] ?? 0) + amount;
}

function sideOf(gold: GoldSides, side: string): Record<string, number> {
  return side === 'source' ? gold.sources : gold.sinks;
}
