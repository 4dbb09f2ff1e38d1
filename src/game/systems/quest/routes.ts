import { z } from 'zod';
import { routesOf, type GameRoute } from '../../http/index.js';
import { Claimed, QuestList, QuestState } from './schemas.js';

const Id = z.strictObject({ id: z.string().min(1).max(64) });
const QuestPath = Id.extend({ questId: z.string().min(1).max(64) });

/** A character's quests: where each stands, accepting one, claiming its rewards. */
export const questRoutes: readonly GameRoute[] = routesOf('quest', (route) => {
  route({
    method: 'GET',
    url: '/characters/:id/quests',
    access: 'player',
    summary: 'Every quest and where it stands for a character (another player’s is a 404)',
    params: Id,
    responses: { 200: QuestList },
    async handle({ params, execute }) {
      return { body: await execute('quest.list', { characterId: params.id }) };
    },
  });
  route({
    method: 'POST',
    url: '/characters/:id/quests/:questId/accept',
    access: 'player',
    summary: 'Accept an available quest (409 when it is locked, active, completed or rewarded)',
    params: QuestPath,
    responses: { 200: QuestState },
    async handle({ params, execute }) {
      return { body: await execute('quest.accept', { characterId: params.id, questId: params.questId }) };
    },
  });
  route({
    method: 'POST',
    url: '/characters/:id/quests/:questId/claim',
    access: 'player',
    idempotent: true,
    summary: 'Claim a completed quest’s rewards, once (409 otherwise, or when items to collect are missing)',
    params: QuestPath,
    responses: { 200: Claimed },
    async handle({ params, execute }) {
      return { body: await execute('quest.claim', { characterId: params.id, questId: params.questId }) };
    },
  });
});
