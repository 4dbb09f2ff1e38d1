import { resolveFight } from './fight.js';
import type { Encounter, Outcome, Replay, Round } from './schemas.js';

/**
 * Runs a stored fight again from its seed and recorded inputs alone (not today's content or
 * character), and says whether every round and the outcome came out as stored.
 * @example replayEncounter(encounter).identical // true unless the rules or the record changed
 */
export function replayEncounter(encounter: Encounter): Replay {
  const again = resolveFight(encounter.seed, encounter.inputs);
  const differingRound = firstDifference(encounter, again);
  return {
    encounterId: encounter.id,
    seed: encounter.seed,
    identical: differingRound === null,
    differingRound,
    ...again,
  };
}

/** The number of the first round that differs; past the last round when only the outcome does; null when none. */
function firstDifference(stored: Outcome, again: Outcome): number | null {
  const length = Math.max(stored.rounds.length, again.rounds.length);
  for (let index = 0; index < length; index++) {
    const a = stored.rounds[index];
    const b = again.rounds[index];
    if (a === undefined || b === undefined || !sameRound(a, b)) return index + 1;
  }
  return sameOutcome(stored, again) ? null : length + 1;
}

function sameRound(a: Round, b: Round): boolean {
  return (
    a.round === b.round &&
    a.characterHp === b.characterHp &&
    a.monsterHp === b.monsterHp &&
    a.strikes.length === b.strikes.length &&
    a.strikes.every((strike, at) => {
      const other = b.strikes[at];
      return (
        other !== undefined && strike.by === other.by && strike.hit === other.hit && strike.damage === other.damage
      );
    })
  );
}

function sameOutcome(a: Outcome, b: Outcome): boolean {
  return (
    a.result === b.result &&
    a.xp === b.xp &&
    a.hpLost === b.hpLost &&
    a.gold === b.gold &&
    a.loot.length === b.loot.length &&
    a.loot.every((stack, at) => stack.itemId === b.loot[at]?.itemId && stack.count === b.loot[at]?.count)
  );
}
