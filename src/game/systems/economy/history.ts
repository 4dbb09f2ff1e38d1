import type { z } from 'zod';
import type { Ledger } from './ledger.js';
import { SINKS, SOURCES, type EconomyHistory } from './schemas.js';

const HOUR_MS = 3_600_000;

/**
 * The last `hours` hours of the economy (the current one included), one entry per hour even when no
 * gold moved: the supply at each hour's end (the wallets' total before the first hour plus every
 * wallet line since), and gold in by source and out by sink, each named source and sink present.
 */
export async function economyHistory(
  ledger: Pick<Ledger, 'hourly'>,
  hours: number,
  now: number,
): Promise<z.infer<typeof EconomyHistory>> {
  const first = Math.floor(now / HOUR_MS) * HOUR_MS - (hours - 1) * HOUR_MS;
  const from = new Date(first).toISOString();
  const { before, hours: rows } = await ledger.hourly(from);
  const byHour = new Map<string, Map<string, bigint>>();
  for (const row of rows) {
    const accounts = byHour.get(row.hour) ?? new Map<string, bigint>();
    accounts.set(row.account, (accounts.get(row.account) ?? 0n) + row.total);
    byHour.set(row.hour, accounts);
  }
  let supply = before;
  const entries = [];
  for (let index = 0; index < hours; index++) {
    const start = new Date(first + index * HOUR_MS).toISOString();
    // The ledger groups by the first 13 characters of its ISO times: `2026-01-02T15`.
    const accounts = byHour.get(start.slice(0, 13)) ?? new Map<string, bigint>();
    supply += accounts.get('wallet:') ?? 0n;
    // A source's lines are negative (gold leaves it into wallets), a sink's positive.
    const named = (prefix: string, names: readonly string[], sign: bigint) =>
      Object.fromEntries(names.map((name) => [name, Number(sign * (accounts.get(`${prefix}${name}`) ?? 0n))]));
    entries.push({
      hour: start,
      supply: Number(supply),
      sources: named('source:', SOURCES, -1n),
      sinks: named('sink:', SINKS, 1n),
    });
  }
  return { from, to: new Date(first + hours * HOUR_MS).toISOString(), hours: entries };
}
