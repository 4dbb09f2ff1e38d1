import { afterEach, describe, expect, it } from 'vitest';
import type { TestIntegrationOptions } from 'weft/testing';
import { gameApp, type GameApp, type Player } from './http-harness.js';

/** A node of `GET /admin/trace/:id` as the tests read it. */
interface Node {
  id: string;
  type: string;
  source: string;
  causationId?: string;
  data: Record<string, unknown>;
  handlers: Array<{ subscription: string; outcome: string }>;
  caused: Node[];
}
interface Trace {
  correlationId: string;
  events: Node[];
  eventCount: number;
  stateChanges: Array<{ system: string; key: string; version: number; kind: string; value: unknown; patch: unknown }>;
  truncated: boolean;
}

const system = { kind: 'system', id: 'test-setup' } as const;

function flatten(nodes: readonly Node[]): Node[] {
  return nodes.flatMap((node) => [node, ...flatten(node.caused)]);
}

/** The trace route on one backend: a craft over HTTP, then its causal tree by the craft's x-request-id. */
export function traceContract(name: string, options: TestIntegrationOptions): void {
  describe(`GET /admin/trace/:correlationId: ${name}`, () => {
    let game: GameApp;
    afterEach(async () => {
      await game.close();
    });

    /** A level-2 warrior holding what forging a copper sword takes, who has accepted the sword quest, forges it. */
    async function forge(): Promise<{ ann: Player; id: string; craft: { statusCode: number; requestId: string } }> {
      const ann = await game.player('ann');
      const created = await game.request({
        method: 'POST',
        url: '/characters',
        headers: ann.auth,
        payload: { name: 'Ann', class: 'warrior' },
      });
      expect(created.statusCode).toBe(201);
      const id = created.json<{ id: string }>().id;
      // Setup beside the subject: the level and the ingredients the quest and the recipe need.
      await game.weft.execute('character.gain_xp', { characterId: id, xp: 100 }, { actor: system });
      await game.weft.execute(
        'character.give_items',
        {
          characterId: id,
          items: [
            { itemId: 'copper_bar', count: 3 },
            { itemId: 'plank', count: 1 },
          ],
          reason: 'test',
        },
        { actor: system },
      );
      await game.weft.events.drain();
      const accepted = await game.request({
        method: 'POST',
        url: `/characters/${id}/quests/forge_a_sword/accept`,
        headers: ann.auth,
      });
      expect(accepted.statusCode).toBe(200);
      const craft = await game.request({
        method: 'POST',
        url: `/characters/${id}/craft`,
        headers: ann.auth,
        payload: { recipeId: 'forge_copper_sword' },
      });
      return { ann, id, craft: { statusCode: craft.statusCode, requestId: String(craft.headers['x-request-id']) } };
    }

    it('answers a craft’s events, what they caused nested under them, handler outcomes and the state it changed', async () => {
      game = await gameApp(options);
      const { id, craft } = await forge();
      expect(craft.statusCode).toBe(200);
      const requestId = craft.requestId;
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      await game.weft.events.drain();

      const admin = await game.admin();
      const answer = await game.request({
        method: 'GET',
        url: `/admin/trace/${requestId}`,
        headers: admin.auth,
      });
      expect(answer.statusCode).toBe(200);
      const trace = answer.json<Trace>();
      expect(trace.correlationId).toBe(requestId);
      expect(trace.truncated).toBe(false);
      const all = flatten(trace.events);
      expect(all).toHaveLength(trace.eventCount);

      // What the request itself published: roots, caused by the request (no event in the log).
      const crafted = trace.events.find((node) => node.type === 'crafting.item_crafted');
      expect(crafted).toMatchObject({
        source: 'crafting',
        data: { characterId: id, recipeId: 'forge_copper_sword', itemId: 'copper_sword', count: 1 },
      });
      expect(crafted?.causationId).toBeUndefined();
      expect(trace.events.map((node) => node.type)).toEqual(
        expect.arrayContaining(['character.items_changed', 'economy.gold_moved', 'crafting.item_crafted']),
      );
      const fee = trace.events.find((node) => node.type === 'economy.gold_moved');
      expect(fee?.data).toMatchObject({ reason: 'crafting_fee' });

      // Its consequences, under it: the quest heard the craft, moved its progress and completed.
      const consequences = crafted?.caused ?? [];
      expect(consequences.every((node) => node.causationId === crafted?.id)).toBe(true);
      expect(consequences.find((node) => node.type === 'quest.completed')?.data).toMatchObject({
        characterId: id,
        questId: 'forge_a_sword',
      });
      expect(consequences.find((node) => node.type === 'state.changed')?.data).toMatchObject({
        system: 'quest.progress',
        key: `${id}:forge_a_sword`,
      });
      expect(crafted?.handlers).toEqual(
        expect.arrayContaining([
          { subscription: 'quest.on_item_crafted', outcome: 'handled' },
          { subscription: 'analytics.tally', outcome: 'handled' },
        ]),
      );
      // Drained: every durable subscription has handled every event of the tree.
      for (const node of all)
        for (const handler of node.handlers)
          expect([node.type, handler]).toEqual([node.type, expect.objectContaining({ outcome: 'handled' })]);

      // The state changes: the character's inventory, the wallet's fee, the quest's progress, in the order written.
      const changes = trace.stateChanges.map((c) => `${c.system} ${c.key}`);
      expect(changes).toEqual(
        expect.arrayContaining([
          `character.characters ${id}`,
          `economy.wallets ${id}`,
          `quest.progress ${id}:forge_a_sword`,
        ]),
      );
      expect(changes.indexOf(`quest.progress ${id}:forge_a_sword`)).toBe(changes.length - 1);
      const wallet = trace.stateChanges.find((c) => c.system === 'economy.wallets');
      expect(wallet).toMatchObject({ kind: 'set', value: { characterId: id, gold: 45 } });
      expect(wallet?.patch).toEqual(expect.arrayContaining([expect.objectContaining({ path: '/gold', value: 45 })]));
      const progress = trace.stateChanges.find((c) => c.system === 'quest.progress');
      expect(progress?.value).toMatchObject({ status: 'completed', progress: [1] });
    });

    it('refuses a player (403) and a caller without a token (401); an unknown id is a 404, a malformed one a 422', async () => {
      game = await gameApp(options);
      const { ann, craft } = await forge();
      const url = `/admin/trace/${craft.requestId}`;
      const player = await game.request({ method: 'GET', url, headers: ann.auth });
      expect(player.statusCode).toBe(403);
      expect(player.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(player.body).not.toContain('forge_copper_sword');
      expect((await game.request({ method: 'GET', url })).statusCode).toBe(401);

      const admin = await game.admin();
      const unknown = await game.request({ method: 'GET', url: '/admin/trace/no-such-request', headers: admin.auth });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toMatchObject({ status: 404, code: 'WEFT_NOT_FOUND' });
      // Past Fastify's 100-character path parameters the router answers 414 before the route's own check.
      for (const [bad, status] of [
        [encodeURIComponent('a b'), 422],
        [encodeURIComponent("x' or 1=1 --"), 422],
        ['x'.repeat(129), 414],
      ] as const) {
        const refused = await game.request({ method: 'GET', url: `/admin/trace/${bad}`, headers: admin.auth });
        expect([bad, refused.statusCode]).toEqual([bad, status]);
        expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    });

    it('is in the OpenAPI document with its reply schema, behind a bearer token', async () => {
      game = await gameApp(options);
      const document = (await game.request({ method: 'GET', url: '/openapi.json' })).json<{
        paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
      }>();
      const route = document.paths['/admin/trace/{correlationId}']?.get;
      expect(route?.security).toEqual([{ bearer: [] }]);
      expect(JSON.stringify(route?.responses['200'])).toContain('stateChanges');
    });
  });
}
