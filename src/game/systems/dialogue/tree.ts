import { NotFoundError } from '../../../integration/index.js';
import type { DialogueNode, NpcView } from './schemas.js';

/** An option of the node a conversation is at, with what choosing it does. */
export interface OfferedOption {
  readonly optionId: string;
  readonly index: number;
  readonly text: string;
  readonly next: string | undefined;
  readonly startQuests: readonly string[];
  readonly reputation: ReadonlyArray<{ readonly factionId: string; readonly amount: number }>;
}

/** The node a conversation stands at: its own, or the tree's start between conversations (or if content lost it). */
export function currentNode(npc: NpcView, nodeId: string | null): { id: string; node: DialogueNode } {
  const { start, nodes } = npc.dialogue;
  const kept = nodeId === null ? undefined : nodes[nodeId];
  if (nodeId !== null && kept !== undefined) return { id: nodeId, node: kept };
  const first = nodes[start];
  // The data system refuses content whose tree starts at a node it does not have.
  if (first === undefined) throw new NotFoundError(`The dialogue of ${npc.id} has no start node ${start}.`);
  return { id: start, node: first };
}

/** Every option of a node, with its id `<node>.<index>`. */
export function optionsOf(nodeId: string, node: DialogueNode): OfferedOption[] {
  return node.options.map((option, index) => ({
    optionId: `${nodeId}.${index}`,
    index,
    text: option.text,
    next: option.next,
    startQuests: (option.effects ?? []).flatMap((e) => (e.kind === 'start_quest' ? [e.questId] : [])),
    reputation: (option.effects ?? []).flatMap((e) =>
      e.kind === 'reputation' ? [{ factionId: e.factionId, amount: e.amount }] : [],
    ),
  }));
}

/**
 * Whether a character may choose an option: one that starts quests is offered only while every
 * quest it starts is available to the character; the others always are.
 */
export function isOffered(option: OfferedOption, statuses: ReadonlyMap<string, string>): boolean {
  return option.startQuests.every((questId) => statuses.get(questId) === 'available');
}
