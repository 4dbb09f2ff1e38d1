import { z } from 'zod';
import { routesOf, type GameRoute } from '../../http/index.js';
import { Choice, DialogueView, OptionId } from './schemas.js';

const NpcPath = z.strictObject({ id: z.string().min(1).max(64), npcId: z.string().min(1).max(64) });

/** Talking to NPCs: where a conversation stands, and choosing an option. */
export const dialogueRoutes: readonly GameRoute[] = routesOf('dialogue', (route) => {
  route({
    method: 'GET',
    url: '/characters/:id/dialogue/:npcId',
    access: 'player',
    summary: 'The node a character is at with an NPC and the options it may choose (403 hostile, 409 elsewhere)',
    params: NpcPath,
    responses: { 200: DialogueView },
    async handle({ params, execute }) {
      return { body: await execute('dialogue.view', { characterId: params.id, npcId: params.npcId }) };
    },
  });
  route({
    method: 'POST',
    url: '/characters/:id/dialogue/:npcId',
    access: 'player',
    idempotent: true,
    summary: 'Choose an option of the current node (it may start a quest or change reputation)',
    params: NpcPath,
    body: z.strictObject({ optionId: OptionId }),
    responses: { 200: Choice },
    async handle({ params, body, execute }) {
      return {
        body: await execute('dialogue.choose', {
          characterId: params.id,
          npcId: params.npcId,
          optionId: body.optionId,
        }),
      };
    },
  });
});
