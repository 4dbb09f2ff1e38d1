import { z } from 'zod';
import { routesOf, type GameRoute } from '../../http/index.js';
import { Encounter, Replay } from './schemas.js';

const Id = z.strictObject({ id: z.string().min(1).max(64) });

/** Fights, and a player's own encounters and their replays. */
export const combatRoutes: readonly GameRoute[] = routesOf('combat', (route) => {
  route({
    method: 'POST',
    url: '/characters/:id/encounters',
    access: 'player',
    // A fight drops loot and gold: a retried request must not fight again.
    idempotent: true,
    summary: 'Fight a monster of the character’s region (409: not found there, or the character has 0 hp)',
    params: Id,
    body: z.strictObject({ monsterId: z.string().min(1).max(64) }),
    responses: { 201: Encounter },
    async handle({ params, body, execute }) {
      return {
        status: 201,
        body: await execute('combat.fight', { characterId: params.id, monsterId: body.monsterId }),
      };
    },
  });
  route({
    method: 'GET',
    url: '/encounters/:id',
    access: 'player',
    summary: 'One of my encounters: its seed, inputs, rounds and outcome (another player’s is a 404)',
    params: Id,
    responses: { 200: Encounter },
    async handle({ params, execute }) {
      return { body: await execute('combat.encounter', { encounterId: params.id }) };
    },
  });
  route({
    method: 'GET',
    url: '/encounters/:id/replay',
    access: 'player',
    summary: 'Run one of my encounters again from its seed and recorded inputs; `identical` says it came out the same',
    params: Id,
    responses: { 200: Replay },
    async handle({ params, execute }) {
      return { body: await execute('combat.replay', { encounterId: params.id }) };
    },
  });
});
