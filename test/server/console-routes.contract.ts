import { afterEach, describe, expect, it } from 'vitest';
import type { TestIntegrationOptions } from 'weft/testing';
import { gameApp, type GameApp } from '../game/http-harness.js';
import { createCharacter, expectStatus } from '../game/http-play.js';
import { readEventStream } from './event-stream-reader.js';

/** Every route the console adds, with a request that would pass its schema. */
const CONSOLE_ROUTES = [
  { method: 'GET', url: '/admin/events/stream' },
  { method: 'GET', url: '/admin/dead-letters' },
  { method: 'GET', url: '/admin/dead-letters/some-id' },
  { method: 'POST', url: '/admin/dead-letters/some-id/redrive' },
  { method: 'DELETE', url: '/admin/dead-letters/some-id' },
  { method: 'GET', url: '/admin/systems' },
  { method: 'GET', url: '/admin/metrics/recent' },
  { method: 'GET', url: '/admin/economy/history' },
] as const;

interface DeadLetterView {
  id: string;
  subscription: string;
  type: string;
  attempts: number;
  error: string;
  envelope: { id: string; data: { characterId: string } };
}

/** The console's admin routes on one backend: who may call them, what bad input gets, and what they answer. */
export function consoleRoutesContract(name: string, options: TestIntegrationOptions): void {
  describe(`operator console routes: ${name}`, () => {
    let game: GameApp;
    afterEach(async () => {
      await game.close();
    });

    /** A durable subscription that fails while `broken` says so, with one attempt: each failure is a dead letter. */
    function flakySubscription(): { broken: boolean } {
      const switch_ = { broken: true };
      game.weft.system('console_test').events.subscribe(
        'character.created',
        () => {
          if (switch_.broken) throw new Error('the flaky test subscription is broken');
        },
        { name: 'flaky', retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } },
      );
      return switch_;
    }

    it('answers 401 without a token and 403 to a player, on every route, with a problem document', async () => {
      game = await gameApp(options);
      const ann = await game.player('ann');
      for (const route of CONSOLE_ROUTES) {
        const anonymous = await game.request(route);
        expect([route.url, anonymous.statusCode]).toEqual([route.url, 401]);
        expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);
        const player = await game.request({ ...route, headers: ann.auth });
        expect([route.url, player.statusCode]).toEqual([route.url, 403]);
      }
    });

    it('lists every console route in the OpenAPI document, behind a bearer token', async () => {
      game = await gameApp(options);
      const document = (await game.request({ method: 'GET', url: '/openapi.json' })).json<{
        paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
      }>();
      for (const route of CONSOLE_ROUTES) {
        const path = route.url.replace('some-id', '{id}');
        const operation = document.paths[path]?.[route.method.toLowerCase()];
        expect([path, operation?.security]).toEqual([path, [{ bearer: [] }]]);
        expect(Object.keys(operation?.responses ?? {}).length).toBeGreaterThan(0);
      }
    });

    it('refuses bad input with a 422 problem and changes nothing', async () => {
      game = await gameApp(options);
      const admin = await game.admin();
      const bad = [
        '/admin/events/stream?type=Not%20A%20Type',
        '/admin/events/stream?system=crafting&type=combat.encounter_resolved',
        '/admin/events/stream?since=-1',
        '/admin/events/stream?unknown=1',
        '/admin/dead-letters?limit=0',
        '/admin/dead-letters?limit=201',
        `/admin/dead-letters/${encodeURIComponent('a b')}`,
        '/admin/economy/history?hours=0',
        '/admin/economy/history?hours=169',
        // Digits only: a number coercion read these as 2, 100 and 5 (an empty one as 0, which min refused anyway).
        '/admin/economy/history?hours=0x2',
        '/admin/analytics/summary?hours=1e2',
        '/admin/dead-letters?limit=%205',
        '/admin/dead-letters?limit=',
      ];
      for (const url of bad) {
        const answer = await game.request({ method: 'GET', url, headers: admin.auth });
        expect([url, answer.statusCode]).toEqual([url, 422]);
        expect(answer.json()).toMatchObject({ status: 422, code: 'WEFT_VALIDATION' });
      }
      const resumed = await game.request({
        method: 'GET',
        url: '/admin/events/stream',
        headers: { ...admin.auth, 'last-event-id': 'yesterday' },
      });
      expect(resumed.statusCode).toBe(422);
      const gone = await game.request({ method: 'POST', url: '/admin/dead-letters/nope/redrive', headers: admin.auth });
      expect(gone.statusCode).toBe(404);
      expect(
        (await game.request({ method: 'DELETE', url: '/admin/dead-letters/nope', headers: admin.auth })).statusCode,
      ).toBe(404);
    });

    it('lists, pages, inspects, re-drives and discards dead letters', async () => {
      game = await gameApp(options);
      const flaky = flakySubscription();
      await game.weft.events.ready();
      const [admin, ann] = [await game.admin(), await game.player('ann')];
      const ids = [
        await createCharacter(game, ann, 'Ann', 'warrior'),
        await createCharacter(game, ann, 'Bea', 'ranger'),
      ];
      const list = async (query: string) =>
        expectStatus(
          await game.request({ method: 'GET', url: `/admin/dead-letters${query}`, headers: admin.auth }),
          200,
          'list',
        ).json<{ deadLetters: DeadLetterView[]; next?: string }>();

      const first = await list('?subscription=console_test.flaky&limit=1');
      expect(first.deadLetters).toHaveLength(1);
      expect(first.next).toBe(first.deadLetters[0]?.id);
      const second = await list(`?subscription=console_test.flaky&limit=1&after=${first.next}`);
      expect(second.deadLetters).toHaveLength(1);
      expect(second.next).toBeUndefined();
      const letters = [...first.deadLetters, ...second.deadLetters];
      expect(letters.map((l) => l.envelope.data.characterId)).toEqual(ids);
      expect((await list('?subscription=someone_else.sub')).deadLetters).toEqual([]);

      const [a, b] = letters as [DeadLetterView, DeadLetterView];
      const inspected = expectStatus(
        await game.request({ method: 'GET', url: `/admin/dead-letters/${a.id}`, headers: admin.auth }),
        200,
        'inspect',
      ).json<DeadLetterView>();
      expect(inspected).toMatchObject({ subscription: 'console_test.flaky', type: 'character.created', attempts: 1 });
      expect(inspected.error).toContain('flaky test subscription is broken');

      // Still broken: it stays, with one more attempt.
      const failed = await game.request({
        method: 'POST',
        url: `/admin/dead-letters/${a.id}/redrive`,
        headers: admin.auth,
      });
      expect(failed.json()).toMatchObject({ id: a.id, redriven: false, deadLetter: { attempts: 2 } });
      flaky.broken = false;
      const redriven = await game.request({
        method: 'POST',
        url: `/admin/dead-letters/${a.id}/redrive`,
        headers: admin.auth,
      });
      expect(redriven.json()).toEqual({ id: a.id, redriven: true });
      expect(
        (await game.request({ method: 'GET', url: `/admin/dead-letters/${a.id}`, headers: admin.auth })).statusCode,
      ).toBe(404);

      const discarded = await game.request({
        method: 'DELETE',
        url: `/admin/dead-letters/${b.id}`,
        headers: admin.auth,
      });
      expect(discarded.statusCode).toBe(204);
      expect((await list('')).deadLetters).toEqual([]);
    });

    it('answers each system’s slices and subscriptions with backlog, dead letters and failures', async () => {
      game = await gameApp(options);
      flakySubscription();
      await game.weft.events.ready();
      const [admin, ann] = [await game.admin(), await game.player('ann')];
      await createCharacter(game, ann, 'Ann', 'warrior');
      const answer = expectStatus(
        await game.request({ method: 'GET', url: '/admin/systems', headers: admin.auth }),
        200,
        'systems',
      ).json<{
        health: string;
        systems: Array<{
          name: string;
          slices: Array<{ slice: string; entries: number; lastChangeAt?: string }>;
          subscriptions: Array<{ name: string; undelivered: number; deadLetters: number; failures: number }>;
        }>;
      }>();
      const economy = answer.systems.find((s) => s.name === 'economy');
      expect(economy?.slices.find((s) => s.slice === 'economy.wallets')).toMatchObject({ entries: 1 });
      expect(economy?.slices[0]?.lastChangeAt).toEqual(expect.any(String));
      expect(economy?.subscriptions.length).toBeGreaterThan(0);
      expect(economy?.subscriptions.every((s) => s.undelivered === 0)).toBe(true);
      const flaky = answer.systems.find((s) => s.name === 'console_test')?.subscriptions[0];
      expect(flaky).toMatchObject({ name: 'console_test.flaky', deadLetters: 1, undelivered: 0 });
    });

    it('answers gold supply and gold by source and sink per hour, matching the summary', async () => {
      game = await gameApp(options);
      const [admin, ann] = [await game.admin(), await game.player('ann')];
      await createCharacter(game, ann, 'Ann', 'warrior');
      await createCharacter(game, ann, 'Bea', 'ranger');
      const summary = expectStatus(
        await game.request({ method: 'GET', url: '/admin/economy', headers: admin.auth }),
        200,
        'summary',
      ).json<{ supply: number; sources: Record<string, number> }>();
      const history = expectStatus(
        await game.request({ method: 'GET', url: '/admin/economy/history?hours=3', headers: admin.auth }),
        200,
        'history',
      ).json<{
        hours: Array<{ hour: string; supply: number; sources: Record<string, number>; sinks: Record<string, number> }>;
      }>();
      expect(history.hours).toHaveLength(3);
      const now = history.hours[2]!;
      expect(Date.parse(now.hour)).toBeLessThanOrEqual(Date.now());
      expect(Date.now() - Date.parse(now.hour)).toBeLessThan(3_600_000);
      expect(now.supply).toBe(summary.supply);
      expect(now.sources.starting_gold).toBe(summary.sources.starting_gold);
      expect(summary.supply).toBeGreaterThan(0);
      expect(history.hours[0]).toMatchObject({ supply: 0, sources: { starting_gold: 0 }, sinks: { buying: 0 } });
    });

    it('answers the throughput sampler’s recent samples', async () => {
      game = await gameApp(options);
      const admin = await game.admin();
      const answer = expectStatus(
        await game.request({ method: 'GET', url: '/admin/metrics/recent', headers: admin.auth }),
        200,
        'recent',
      ).json<{ intervalMs: number; samples: unknown[] }>();
      expect(answer.intervalMs).toBe(5000);
      expect(Array.isArray(answer.samples)).toBe(true);
    });

    describe('GET /admin/events/stream', () => {
      /** The app on a socket: the stream is read with fetch, as the console reads it. */
      async function listen(): Promise<string> {
        return game.app.listen({ port: 0, host: '127.0.0.1' });
      }

      it('streams events as they commit, filtered, and resumes after Last-Event-ID', async () => {
        game = await gameApp(options);
        const url = await listen();
        const [admin, ann] = [await game.admin(), await game.player('ann')];
        const all = readEventStream(`${url}/admin/events/stream`, admin.accessToken);
        const createdOnly = readEventStream(`${url}/admin/events/stream?type=character.created`, admin.accessToken);
        await all.opened;
        await createdOnly.opened;
        const created = await game.request({
          method: 'POST',
          url: '/characters',
          headers: ann.auth,
          payload: { name: 'Ann', class: 'warrior' },
        });
        const requestId = String(created.headers['x-request-id']);
        const character = created.json<{ id: string }>().id;
        const crafted = await all.until((m) => m.event === 'event' && m.data.envelope?.type === 'economy.gold_moved');
        const types = crafted.filter((m) => m.event === 'event').map((m) => m.data.envelope?.type);
        expect(types).toEqual(expect.arrayContaining(['character.created', 'economy.gold_moved']));
        const only = await createdOnly.until((m) => m.event === 'event');
        expect(only.filter((m) => m.event === 'event').map((m) => m.data.envelope?.type)).toEqual([
          'character.created',
        ]);
        all.close();
        createdOnly.close();

        // Resumed after the creation, filtered by correlation id and character: the wallet's opening only.
        const createdSeq = crafted.find((m) => m.data.envelope?.type === 'character.created')!.id;
        const resumed = readEventStream(
          `${url}/admin/events/stream?correlationId=${requestId}&characterId=${character}&system=economy`,
          admin.accessToken,
          { 'last-event-id': createdSeq },
        );
        const after = await resumed.until((m) => m.event === 'event');
        resumed.close();
        const first = after.find((m) => m.event === 'event');
        expect(first?.data.envelope).toMatchObject({ type: 'economy.gold_moved', correlationId: requestId });
        expect(Number(first?.id)).toBeGreaterThan(Number(createdSeq));
      });

      it('caps the streams open at once with a 429 and frees a slot when one closes', async () => {
        game = await gameApp(options);
        const url = await listen();
        const admin = await game.admin();
        const streams = Array.from({ length: 16 }, () =>
          readEventStream(`${url}/admin/events/stream`, admin.accessToken),
        );
        await Promise.all(streams.map((s) => s.opened));
        const refused = await fetch(`${url}/admin/events/stream`, {
          headers: { authorization: `Bearer ${admin.accessToken}` },
        });
        expect(refused.status).toBe(429);
        expect(refused.headers.get('retry-after')).toBe('5');
        streams[0]!.close();
        // The slot frees when the server sees the connection close: a bounded wait on that progress.
        const again = readEventStream(`${url}/admin/events/stream`, admin.accessToken, {}, { retryWhile429: 50 });
        await again.opened;
        again.close();
        for (const stream of streams.slice(1)) stream.close();
      });
    });
  });
}
