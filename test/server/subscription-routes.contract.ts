import { afterEach, describe, expect, it } from 'vitest';
import type { TestIntegrationOptions } from 'weft/testing';
import { gameApp, type GameApp, type Player } from '../game/http-harness.js';
import { createCharacter, expectStatus } from '../game/http-play.js';

interface SystemsView {
  systems: Array<{ name: string; subscriptions: Array<{ name: string; replayable: boolean; undelivered: number }> }>;
}

/**
 * An operator replays a durable subscription over HTTP, as after a fix to a projection's code: analytics' counts are
 * cleared and counted again from the log, ending where they were; what cannot be replayed is refused and untouched.
 */
export function subscriptionRoutesContract(name: string, options: TestIntegrationOptions): void {
  describe(`subscription replay over HTTP: ${name}`, () => {
    let game: GameApp;
    afterEach(async () => {
      await game.close();
    });

    const as = (who: Player) => ({
      get: (url: string) => game.request({ method: 'GET', url, headers: who.auth }),
      post: (url: string, payload?: object) =>
        game.request({ method: 'POST', url, headers: who.auth, ...(payload === undefined ? {} : { payload }) }),
    });

    async function played() {
      game = await gameApp(options);
      const [ann, admin] = [await game.player('ann'), await game.admin()];
      const mira = await createCharacter(game, ann, 'Mira', 'warrior');
      for (const regionId of ['oakwood', 'greenvale', 'oakwood']) {
        const moved = await as(ann).post(`/characters/${mira}/travel`, { regionId });
        expectStatus(moved, 200, `travel to ${regionId}`);
      }
      await game.weft.events.drain();
      return { ann, operator: as(admin), mira };
    }

    const summary = async (operator: ReturnType<typeof as>) =>
      expectStatus(await operator.get('/admin/analytics/summary?hours=2'), 200, 'summary').json<{
        totals: { events: number };
      }>();

    it('clears analytics and counts every event again, ending with the same summary', async () => {
      const { operator } = await played();
      const before = await summary(operator);
      expect(before.totals.events).toBeGreaterThan(5);

      const systems = expectStatus(await operator.get('/admin/systems'), 200, 'systems').json<SystemsView>();
      const subscriptions = systems.systems.flatMap((system) => system.subscriptions);
      expect(subscriptions.find((s) => s.name === 'analytics.tally')?.replayable).toBe(true);
      expect(subscriptions.find((s) => s.name === 'economy.on_encounter_resolved')?.replayable).toBe(false);

      // A bug in the projection's code counted wrong (here: every count off by 100); the code is fixed, and the counts
      // are built again from the log.
      await game.weft.db
        .withTables<{ analytics_event_counts: { count: number } }>()
        .executor()
        .updateTable('analytics_event_counts')
        .set((eb) => ({ count: eb('count', '+', 100) }))
        .execute();
      expect((await summary(operator)).totals.events).toBeGreaterThan(before.totals.events + 99);

      const replay = await operator.post('/admin/subscriptions/analytics.tally/replay');
      expect(replay.statusCode, replay.body).toBe(202);
      const answer = replay.json<{ subscription: string; throughSeq: number }>();
      expect(answer.subscription).toBe('analytics.tally');
      expect(answer.throughSeq).toBeGreaterThanOrEqual(before.totals.events);
      // Until the subscription comes round, the counts are gone; once delivered, they are what they were.
      await game.weft.events.drain();
      expect(await summary(operator)).toEqual(before);
      const after = expectStatus(await operator.get('/admin/systems'), 200, 'systems').json<SystemsView>();
      expect(
        after.systems.flatMap((system) => system.subscriptions).find((s) => s.name === 'analytics.tally')?.undelivered,
      ).toBe(0);
    });

    it('refuses a subscription without a reset, an unknown one and a malformed name, changing nothing', async () => {
      const { ann, operator, mira } = await played();
      const wallet = async () =>
        expectStatus(await as(ann).get(`/characters/${mira}/wallet`), 200, 'wallet').json<unknown>();
      const [walletBefore, summaryBefore] = [await wallet(), await summary(operator)];

      const refused = await operator.post('/admin/subscriptions/economy.on_encounter_resolved/replay');
      expect(refused.statusCode).toBe(409);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      const problem = refused.json<{ code: string; detail: string }>();
      expect(problem.code).toBe('WEFT_CONFLICT');
      expect(problem.detail).toMatch(/declares no reset/);
      expect((await operator.post('/admin/subscriptions/nobody.here/replay')).statusCode).toBe(404);
      expect((await operator.post('/admin/subscriptions/no%20spaces/replay')).statusCode).toBe(422);
      expect((await operator.post('/admin/subscriptions/analytics.tally/replay', { from: 3 })).statusCode).toBe(422);
      // A player may not replay anything.
      expect((await as(ann).post('/admin/subscriptions/analytics.tally/replay')).statusCode).toBe(403);

      await game.weft.events.drain();
      expect(await wallet()).toEqual(walletBefore);
      expect(await summary(operator)).toEqual(summaryBefore);
    });
  });
}
