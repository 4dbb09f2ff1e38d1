import type { Objective, Progress, QuestStatus, QuestView } from './schemas.js';

/**
 * A quest's state machine per character: `locked` (a required quest is not rewarded yet, or the
 * character's level is below the quest's) and `available` are worked out; `accept` takes an
 * available quest to `active`; events advance its objectives until every tracked one is done
 * (`completed`); `claim` pays a completed quest once (`rewarded`). Any other step is a 409.
 */
export function statusOf(
  quest: QuestView,
  kept: Pick<Progress, 'status'> | undefined,
  level: number,
  rewarded: ReadonlySet<string>,
): QuestStatus {
  if (kept !== undefined) return kept.status;
  return lockOf(quest, level, rewarded) === undefined ? 'available' : 'locked';
}

/** What keeps a quest locked for a character: its level, the required quests not rewarded yet; undefined if none. */
export function lockOf(
  quest: QuestView,
  level: number,
  rewarded: ReadonlySet<string>,
): { level?: number; requires: string[] } | undefined {
  const requires = quest.requires.filter((id) => !rewarded.has(id));
  const tooLow = level < quest.level;
  if (!tooLow && requires.length === 0) return undefined;
  return tooLow ? { level: quest.level, requires } : { requires };
}

/** Something that happened to a character which may advance an objective. */
export type Happening =
  | { readonly kind: 'kill'; readonly monsterId: string }
  | { readonly kind: 'craft'; readonly itemId: string; readonly count: number }
  | { readonly kind: 'talk'; readonly npcId: string }
  | { readonly kind: 'reach'; readonly regionId: string };

/** How much of an objective finishes it: its count, or 1 for a talk or a place. */
export function requiredOf(objective: Objective): number {
  return 'count' in objective ? objective.count : 1;
}

/** The objective's monster, item, NPC or region. */
export function targetOf(objective: Objective): string {
  switch (objective.kind) {
    case 'kill':
      return objective.monsterId;
    case 'craft':
    case 'collect':
      return objective.itemId;
    case 'talk':
      return objective.npcId;
    case 'reach':
      return objective.regionId;
  }
}

/** Whether events advance an objective: collect is checked from the inventory at claim instead. */
export function isTracked(objective: Objective): boolean {
  return objective.kind !== 'collect';
}

/** How much a happening adds to an objective (0 when it is about something else). */
function gainOf(objective: Objective, happening: Happening): number {
  if (objective.kind !== happening.kind) return 0;
  switch (happening.kind) {
    case 'kill':
      return targetOf(objective) === happening.monsterId ? 1 : 0;
    case 'craft':
      return targetOf(objective) === happening.itemId ? happening.count : 0;
    case 'talk':
      return targetOf(objective) === happening.npcId ? 1 : 0;
    case 'reach':
      return targetOf(objective) === happening.regionId ? 1 : 0;
  }
}

/** The progress after a happening, each objective capped at what finishes it; undefined when nothing moved. */
export function advance(quest: QuestView, progress: readonly number[], happening: Happening): number[] | undefined {
  let moved = false;
  const next = quest.objectives.map((objective, i) => {
    const now = progress[i] ?? 0;
    const after = Math.min(requiredOf(objective), now + gainOf(objective, happening));
    if (after !== now) moved = true;
    return after;
  });
  return moved ? next : undefined;
}

/** Whether every tracked objective is done: the quest is then completed (collect waits for the claim). */
export function isDone(quest: QuestView, progress: readonly number[]): boolean {
  return quest.objectives.every((objective, i) => !isTracked(objective) || (progress[i] ?? 0) >= requiredOf(objective));
}

/** The progress a quest starts with: a place to reach where the character stands is reached already. */
export function startingProgress(quest: QuestView, region: string): number[] {
  const none = quest.objectives.map(() => 0);
  return advance(quest, none, { kind: 'reach', regionId: region }) ?? none;
}
