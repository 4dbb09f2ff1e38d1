/**
 * Standing bands, from the worst to the best. A reputation falls in the band whose floor it reaches:
 * hostile < -300 <= unfriendly < 0 <= neutral < 300 <= friendly < 600 <= honored < 900 <= exalted.
 */
export const STANDINGS = ['hostile', 'unfriendly', 'neutral', 'friendly', 'honored', 'exalted'] as const;
export type Standing = (typeof STANDINGS)[number];

/** The lowest reputation of each band above hostile, best first. */
const FLOORS: ReadonlyArray<readonly [Standing, number]> = [
  ['exalted', 900],
  ['honored', 600],
  ['friendly', 300],
  ['neutral', 0],
  ['unfriendly', -300],
];

/** Reputation stays within these bounds: a change past them is cut at the bound. */
export const MIN_REPUTATION = -1000;
export const MAX_REPUTATION = 1000;

/**
 * The share of a change that reaches the changed faction's allies (same sign) and the factions
 * hostile to it (opposite sign), cut toward zero: a change of 1 does not spread. Neutral factions
 * are not touched, and a spread does not spread again.
 */
export const ALLY_SHARE = 0.5;
export const HOSTILE_SHARE = 0.5;

/** The band a reputation falls in. */
export function standingOf(reputation: number): Standing {
  for (const [standing, floor] of FLOORS) if (reputation >= floor) return standing;
  return 'hostile';
}

/** A reputation kept within the bounds. */
export function clampReputation(reputation: number): number {
  return Math.max(MIN_REPUTATION, Math.min(MAX_REPUTATION, reputation));
}

/** What the spread reads of a faction. */
export interface FactionRelations {
  readonly id: string;
  readonly relations: Readonly<Record<string, 'ally' | 'neutral' | 'hostile'>>;
}

/**
 * The changes one change of `amount` with `factionId` makes: that faction first, then its allies
 * and the factions it is hostile to, in content order; changes that round to zero are left out.
 */
export function spreadOf(
  factions: readonly FactionRelations[],
  factionId: string,
  amount: number,
): Array<{ factionId: string; amount: number }> {
  const changed = factions.find((f) => f.id === factionId);
  if (changed === undefined) return [];
  const changes = [{ factionId, amount }];
  for (const other of factions) {
    if (other.id === factionId) continue;
    const relation = changed.relations[other.id];
    const share =
      relation === 'ally'
        ? Math.trunc(amount * ALLY_SHARE)
        : relation === 'hostile'
          ? -Math.trunc(amount * HOSTILE_SHARE)
          : 0;
    // `+ 0` turns -0 into 0, so a stored amount is never negative zero.
    if (share !== 0) changes.push({ factionId: other.id, amount: share + 0 });
  }
  return changes;
}
