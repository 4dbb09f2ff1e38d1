import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestIntegrationOptions } from 'weft/testing';
import { gameRoutes } from '../../src/game/index.js';
import { mutatedRequest, validRequest, type FuzzRequest, type FuzzRoute } from './http-fuzz-requests.js';
import { PASSWORD, gameApp, type GameApp, type Player } from './http-harness.js';
import { createCharacter, expectStatus, isProblem } from './http-play.js';
import { BODIES, routeKey } from './http-route-matrix.js';
import { snapshot, type GameSnapshot } from './http-snapshot.js';

/** How many requests of each kind each route gets: enough to hit every mutation kind, within ~30 s a backend. */
export interface FuzzRuns {
  readonly valid: number;
  readonly mutated: number;
}

/**
 * The seed of every property of a run: `WEFT_FUZZ_SEED` replays a failure (fast-check prints the
 * seed and the failing request with it).
 */
const SEED = Number(process.env.WEFT_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

/**
 * Every game route the app serves, fed requests generated from its own schemas, valid and mutated:
 * no answer is a 5xx, every refusal is a problem document, a request the schemas refuse is refused
 * with the status its flaw calls for, and no refused request changes the game's state or publishes
 * an event.
 */
export function httpFuzzContract(name: string, options: TestIntegrationOptions, runs: FuzzRuns): void {
  describe(`HTTP fuzz over every game route's schemas: ${name}`, () => {
    let game: GameApp;
    const routes: FuzzRoute[] = [];

    beforeAll(async () => {
      game = await gameApp(options);
      const [admin, ann, bob] = [await game.admin(), await game.player('ann'), await game.player('bob')];
      await game.player('leaving');
      const mine = await createCharacter(game, ann, 'Mira', 'alchemist');
      const theirs = await createCharacter(game, bob, 'Bert', 'ranger');
      const contentIds = new Map<string, string>();
      for (const route of game.routes.filter((r) => /^\/content\/\w+$/.test(r.url))) {
        const [first] = expectStatus(await game.request({ method: 'GET', url: route.url }), 200, route.url).json<
          Array<{ id?: string; itemId?: string }>
        >();
        contentIds.set(route.url, first?.id ?? first?.itemId ?? 'x');
      }
      const callerOf = (route: { access: string | undefined }): Player => (route.access === 'admin' ? admin : ann);
      // The game's routes; the operator routes (access 'admin' too) have tests of their own.
      const ofGame = new Set(gameRoutes.map(routeKey));
      for (const route of game.routes.filter((r) => ofGame.has(routeKey(r)))) {
        const key = routeKey(route);
        const sample = BODIES[key];
        routes.push({
          method: route.method,
          url: route.url,
          schema: route.schema,
          idempotent: gameRoutes.find((g) => routeKey(g) === key)?.idempotent ?? false,
          headers: callerOf(route).auth,
          params: Object.fromEntries(
            [...route.url.matchAll(/:(\w+)/g)].map(([, param]) => [
              param!,
              {
                id: contentIds.get(route.url.replace('/:id', '')) ?? mine,
                questId: 'slime_cleanup',
                npcId: 'captain_ada',
              }[param!] ?? 'x',
            ]),
          ),
          // A transfer goes to a character that exists, so some of them move gold.
          body: key === 'POST /characters/:id/transfer' ? { toCharacterId: theirs, gold: 1 } : (sample as object),
        });
      }
      current = await settled();
    });
    afterAll(async () => {
      await game.close();
    });

    /** The request's headers with the token of a new session of the player who signs out. */
    async function freshSession(generated: FuzzRequest): Promise<InjectOptions['headers']> {
      const login = await game.request({
        method: 'POST',
        url: '/auth/login',
        payload: { username: 'leaving', password: PASSWORD },
      });
      const token = expectStatus(login, 200, 'sign in').json<{ accessToken: string }>().accessToken;
      return { ...generated.request.headers, authorization: `Bearer ${token}` };
    }

    /** The game as the last request left it, settled. */
    let current: GameSnapshot;
    const settled = async () => {
      await game.weft.events.drain();
      return snapshot(game.weft);
    };

    /** Sends one request and checks the answer and, for a refusal, that nothing changed. */
    async function send(route: FuzzRoute, generated: FuzzRequest): Promise<void> {
      // Signing out ends a session: each sign-out gets one of its own, so the next still reaches validation.
      if (route.url === '/auth/logout') {
        generated = { ...generated, request: { ...generated.request, headers: await freshSession(generated) } };
        current = await settled();
      }
      const answer = await game.request(generated.request);
      const what = `${routeKey(route)} (${generated.flaw ?? 'valid'}): ${answer.statusCode} ${answer.body.slice(0, 300)}`;
      expect(answer.statusCode, what).toBeLessThan(500);
      if (generated.flaw !== undefined) expect(generated.refusedWith, what).toContain(answer.statusCode);
      if (answer.statusCode < 400) {
        current = await settled();
        return;
      }
      expect(isProblem(answer), what).toBe(true);
      expect(answer.json<{ status: number }>().status, what).toBe(answer.statusCode);
      // No drain: a refusal published nothing to deliver, and an event it did publish moved the log already.
      expect(await snapshot(game.weft), `${what}: the state changed`).toEqual(current);
    }

    it('fuzzes every game route the app serves', () => {
      expect(routes.map(routeKey).sort()).toEqual(gameRoutes.map(routeKey).sort());
    });

    it('answers valid and mutated requests below 500, refuses with problem documents, and a refusal changes nothing', async () => {
      const seen = { valid: 0, mutated: 0, flawed: 0 };
      for (const route of routes) {
        await fc.assert(
          fc.asyncProperty(validRequest(route), async (generated) => {
            seen.valid++;
            await send(route, generated);
          }),
          { seed: SEED, numRuns: runs.valid, endOnFailure: true },
        );
        const mutated = mutatedRequest(route);
        if (mutated === undefined) continue;
        await fc.assert(
          fc.asyncProperty(mutated, async (generated) => {
            seen.mutated++;
            if (generated.flaw !== undefined) seen.flawed++;
            await send(route, generated);
          }),
          { seed: SEED, numRuns: runs.mutated, endOnFailure: true },
        );
      }
      // Most mutations must be ones the schemas refuse, or the fuzz tests little.
      expect(seen.valid).toBe(routes.length * runs.valid);
      expect(seen.flawed).toBeGreaterThan(seen.mutated / 2);
    }, 120_000);
  });
}
