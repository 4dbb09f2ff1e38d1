import { z } from 'zod';
import { routesOf, type GameRoute } from '../../http/index.js';
import { FactionList, ReputationView } from './schemas.js';

const Id = z.strictObject({ id: z.string().min(1).max(64) });

/** The factions, and a character's standing with each. */
export const diplomacyRoutes: readonly GameRoute[] = routesOf('diplomacy', (route) => {
  route({
    method: 'GET',
    url: '/factions',
    access: 'public',
    summary: 'The factions and how each stands toward the others',
    responses: { 200: FactionList },
    async handle({ execute }) {
      return { body: await execute('diplomacy.factions', {}) };
    },
  });
  route({
    method: 'GET',
    url: '/characters/:id/reputation',
    access: 'player',
    summary: 'A character’s reputation and standing with every faction (another player’s is a 404)',
    params: Id,
    responses: { 200: ReputationView },
    async handle({ params, execute }) {
      return { body: await execute('diplomacy.reputation', { characterId: params.id }) };
    },
  });
});
