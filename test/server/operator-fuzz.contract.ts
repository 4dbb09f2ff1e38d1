import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestIntegrationOptions } from 'weft/testing';
import { gameApp, type GameApp, type Player } from '../game/http-harness.js';
import { createCharacter, expectStatus, isProblem, statusCounts } from '../game/http-play.js';
import { snapshot, type GameSnapshot } from '../game/http-snapshot.js';

/**
 * The seed of the property: `WEFT_FUZZ_SEED` replays a failure (fast-check prints the seed and the failing request).
 */
const SEED = Number(process.env.WEFT_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** An operator route as the fuzz calls it: `{name}` stands for a path parameter, filled by the generator. */
interface OperatorRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  /** The OpenAPI document's key of the route's operation. */
  readonly documented: string;
}

/** Every operator route but the event stream (its refusals are tested below; an accepted stream never ends). */
const ROUTES: readonly OperatorRoute[] = [
  { method: 'GET', path: '/alerts', documented: '/alerts' },
  { method: 'GET', path: '/status', documented: '/status' },
  { method: 'GET', path: '/logs/recent', documented: '/logs/recent' },
  { method: 'PUT', path: '/logs/levels/{system}', documented: '/logs/levels/{system}' },
  { method: 'GET', path: '/admin/dead-letters', documented: '/admin/dead-letters' },
  { method: 'GET', path: '/admin/dead-letters/{id}', documented: '/admin/dead-letters/{id}' },
  { method: 'POST', path: '/admin/dead-letters/{id}/redrive', documented: '/admin/dead-letters/{id}/redrive' },
  { method: 'DELETE', path: '/admin/dead-letters/{id}', documented: '/admin/dead-letters/{id}' },
  { method: 'GET', path: '/admin/trace/{id}', documented: '/admin/trace/{correlationId}' },
  { method: 'GET', path: '/admin/state/entries/{slice}/{key}', documented: '/admin/state/entries/{slice}/{key}' },
  {
    method: 'POST',
    path: '/admin/state/entries/{slice}/{key}/rollback',
    documented: '/admin/state/entries/{slice}/{key}/rollback',
  },
  { method: 'GET', path: '/admin/state/transactions/{tx}', documented: '/admin/state/transactions/{transactionId}' },
  {
    method: 'POST',
    path: '/admin/state/transactions/{tx}/rollback',
    documented: '/admin/state/transactions/{transactionId}/rollback',
  },
  { method: 'POST', path: '/admin/subscriptions/{name}/replay', documented: '/admin/subscriptions/{name}/replay' },
  { method: 'GET', path: '/admin/systems', documented: '/admin/systems' },
  { method: 'GET', path: '/admin/metrics/recent', documented: '/admin/metrics/recent' },
];

/** Path segments and query values as an attacker sends them (already encoded): traversal, NUL, lone surrogates, ... */
const HOSTILE = [
  '',
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e',
  '%00',
  '%ED%A0%80',
  '%F0%9F%98%80',
  '__proto__',
  'constructor',
  'prototype',
  'NaN',
  'Infinity',
  '-1',
  '0',
  '1.5',
  '1e309',
  '2147483648',
  '9007199254740993',
  '0x10',
  '%20',
  'true',
  '%27%20OR%201%3D1--',
  '*',
  'a'.repeat(101),
  'x'.repeat(10_000),
];

/** A body as the fuzz sends it: none, JSON, or raw text of a content type. */
type Body =
  | { readonly kind: 'none' }
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'raw'; readonly text: string; readonly type: string };

const BODY: fc.Arbitrary<Body> = fc.oneof(
  fc.constant<Body>({ kind: 'none' }),
  fc
    .oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom<unknown>(
        {},
        [],
        null,
        { toVersion: 1 },
        { toVersion: 2147483648 },
        { toVersion: 9007199254740991 },
        { toVersion: -1 },
        { toVersion: 'NaN' },
        { toVersion: [1] },
        { force: true },
        { force: 'true' },
        { level: 'debug' },
        { level: 'silent' },
        { level: 'x'.repeat(10_000) },
        { level: 'debug', extra: 1 },
      ),
    )
    .map((value): Body => ({ kind: 'json', value })),
  fc
    .constantFrom<[string, string]>(
      ['{"__proto__":{"polluted":1}}', 'application/json'],
      ['{"constructor":{"prototype":{"polluted":1}}}', 'application/json'],
      ['{"level":"debug","level":"silent"}', 'application/json'],
      ['{"level":', 'application/json'],
      ['', 'application/json'],
      ['level=debug', 'application/x-www-form-urlencoded'],
      ['debug', 'text/plain'],
      ['<level>debug</level>', 'application/xml'],
    )
    .map(([text, type]): Body => ({ kind: 'raw', text, type })),
);

/** Who calls: the admin, a player, nobody, or a token that is not one. */
type Caller = 'admin' | 'player' | 'anonymous' | 'forged';

/** One generated request, before the real ids are known. */
interface Generated {
  readonly route: OperatorRoute;
  /** Per path parameter: a real value (by index into those of its name the world holds) or a hostile one. */
  readonly params: ReadonlyArray<{ readonly real: number } | { readonly raw: string }>;
  readonly query: ReadonlyArray<readonly [string, string]>;
  readonly body: Body;
  readonly caller: Caller;
}

const PARAM = fc.oneof(
  { arbitrary: fc.nat(9).map((real) => ({ real })), weight: 3 },
  fc.constantFrom(...HOSTILE).map((raw) => ({ raw })),
  fc.string({ maxLength: 40, unit: 'grapheme' }).map((text) => ({ raw: encodeURIComponent(text) })),
);

const QUERY = fc.array(
  fc.tuple(
    fc.constantFrom('limit', 'after', 'subscription', 'detail', 'force', '__proto__', 'constructor', 'x'),
    fc.oneof(fc.constantFrom(...HOSTILE.filter((value) => value.length < 200), '1', '50', '200', '201')),
  ),
  { maxLength: 4 },
);

const REQUEST: fc.Arbitrary<Generated> = fc.record({
  route: fc.constantFrom(...ROUTES),
  params: fc.array(PARAM, { minLength: 2, maxLength: 2 }),
  query: QUERY,
  body: BODY,
  caller: fc.constantFrom<Caller>('admin', 'admin', 'admin', 'player', 'anonymous', 'forged'),
});

/** What the operator routes can change: the game's state and event log, the dead letters, the log levels. */
interface OperatorSnapshot {
  readonly game: GameSnapshot;
  readonly deadLetters: ReadonlyArray<readonly [string, number, string]>;
  readonly levels: ReadonlyArray<readonly [string, string]>;
}

/** The operation the OpenAPI document declares for a route, with its responses by status. */
type Operations = Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;

/** Text of a driver, a stack or a file path: never in a refusal. */
const LEAK = /\bat [\w.<>]+ \(|node_modules|\/src\/|SQLITE_|sqlite3?\b|postgres|syntax error|violates|relation "/i;

/**
 * Every operator route fed hostile requests (fast-check): path parameters with traversal, NUL, surrogates, huge and
 * negative numbers; duplicate and prototype-named query keys; bodies of the wrong type, shape and content type; callers
 * who are not the admin. No answer is a 5xx or leaks a driver's text; every refusal is a problem document with a typed
 * code, of a status the OpenAPI document declares for the route; nobody but the admin passes; a refusal changes
 * nothing (state, event log, dead letters, log levels). Then the cases the fuzz found, one by one.
 */
export function operatorFuzzContract(name: string, options: TestIntegrationOptions, runs: number): void {
  describe(`operator routes under hostile requests: ${name}`, () => {
    let game: GameApp;
    let admin: Player;
    let ann: Player;
    let operations: Operations;
    /** Real values for each path parameter, so that many requests reach what exists. */
    let real: Record<string, readonly string[]>;
    let current: OperatorSnapshot;
    const statuses: Record<number, number> = {};

    beforeAll(async () => {
      game = await gameApp(options);
      // Always fails: each character's creation leaves a dead letter, and a re-drive fails again.
      game.weft.system('fuzz_test').events.subscribe(
        'character.created',
        () => {
          throw new Error('the fuzz test subscription always fails');
        },
        { name: 'broken', retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } },
      );
      await game.weft.events.ready();
      [admin, ann] = [await game.admin(), await game.player('ann')];
      const mira = await createCharacter(game, ann, 'Mira', 'warrior');
      for (const name of ['Bea', 'Cora', 'Dora', 'Edda']) await createCharacter(game, ann, name, 'ranger');
      const moved = await game.request({
        method: 'POST',
        url: `/characters/${mira}/travel`,
        headers: ann.auth,
        payload: { regionId: 'oakwood' },
      });
      const requestId = String(expectStatus(moved, 200, 'travel').headers['x-request-id']);
      await game.weft.events.drain();
      const letters = await game.weft.events.deadLetters.list();
      const entry = expectStatus(
        await game.request({
          method: 'GET',
          url: `/admin/state/entries/character.characters/${mira}`,
          headers: admin.auth,
        }),
        200,
        'entry',
      ).json<{ history: Array<{ transactionId: string }> }>();
      expect(letters).toHaveLength(5);
      real = {
        system: ['http', '*', 'operator', 'alerting'],
        id: [...letters.map((letter) => letter.id), requestId],
        slice: ['character.characters', 'character'],
        key: [mira],
        tx: entry.history.map((version) => version.transactionId),
        name: ['fuzz_test.broken', 'analytics.tally'],
      };
      operations = (await game.request({ method: 'GET', url: '/openapi.json' })).json<{ paths: Operations }>().paths;
      current = await settled();
    });
    afterAll(async () => {
      await game.close();
    });

    async function take(): Promise<OperatorSnapshot> {
      const logging = game.monitoring.logging;
      const letters = await game.weft.events.deadLetters.list({ limit: 1000 });
      return {
        game: await snapshot(game.weft),
        deadLetters: letters.map((letter) => [letter.id, letter.attempts, letter.error] as const),
        levels: logging
          .knownSystems()
          .map((system) => [system, system === '*' ? logging.root.level : logging.forSystem(system).level] as const),
      };
    }
    const settled = async () => {
      await game.weft.events.drain();
      return take();
    };

    function build(generated: Generated): InjectOptions & { readonly url: string; readonly method: string } {
      let index = 0;
      const path = generated.route.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
        const param = generated.params[index++] ?? { raw: 'x' };
        const values = real[name] ?? ['x'];
        return 'raw' in param ? param.raw : encodeURIComponent(values[param.real % values.length] ?? 'x');
      });
      const query = generated.query.map(([key, value]) => `${key}=${value}`).join('&');
      const auth = {
        admin: admin.auth,
        player: ann.auth,
        anonymous: {},
        forged: { authorization: `Bearer ${admin.accessToken.slice(0, -2)}xx` },
      }[generated.caller];
      const { body } = generated;
      return {
        method: generated.route.method,
        url: query === '' ? path : `${path}?${query}`,
        headers: {
          ...auth,
          ...(body.kind === 'raw' ? { 'content-type': body.type } : {}),
          ...(body.kind === 'json' ? { 'content-type': 'application/json' } : {}),
        },
        ...(body.kind === 'raw' ? { payload: body.text } : {}),
        ...(body.kind === 'json' ? { payload: JSON.stringify(body.value) } : {}),
      };
    }

    /** Sends one request; checks the answer against the promises and, for a refusal, that nothing changed. */
    async function send(generated: Generated): Promise<void> {
      const request = build(generated);
      const answer = await game.request(request);
      statuses[answer.statusCode] = (statuses[answer.statusCode] ?? 0) + 1;
      const sent = `${request.method} ${request.url.slice(0, 200)} as ${generated.caller}`;
      const what = `${sent}: ${answer.statusCode} ${answer.body.slice(0, 300)}`;
      expect(answer.statusCode, what).toBeLessThan(500);
      if (generated.caller !== 'admin')
        expect(answer.statusCode, `${what}: passed the guard`).toBeGreaterThanOrEqual(400);
      if (answer.statusCode < 400) {
        const operation = operations[generated.route.documented]?.[generated.route.method.toLowerCase()];
        expect(Object.keys(operation?.responses ?? {}), `${what}: not a status of the document`).toContain(
          String(answer.statusCode),
        );
        // A body that says something, accepted by a route that takes none, was ignored: it is refused instead.
        // (A GET's body has no meaning in HTTP: Fastify does not read it.)
        const saysSomething =
          generated.route.method !== 'GET' &&
          (generated.body.kind === 'raw' ||
            (generated.body.kind === 'json' &&
              ![null, undefined].includes(generated.body.value as null) &&
              JSON.stringify(generated.body.value) !== '{}'));
        if (saysSomething) expect(operation, `${what}: a body ignored`).toHaveProperty('requestBody');
        current = await settled();
        return;
      }
      // (A success may show a stack: a dead letter's error is its handler's, for the operator to read.)
      expect(answer.body, what).not.toMatch(LEAK);
      expect(isProblem(answer), what).toBe(true);
      const problem = answer.json<{ status: number; code: string; type: string; detail: string }>();
      expect(problem, what).toMatchObject({ status: answer.statusCode, type: `urn:weft:error:${problem.code}` });
      expect(problem.code, what).toMatch(/^WEFT_[A-Z_]+$/);
      const operation = operations[generated.route.documented]?.[generated.route.method.toLowerCase()];
      const response = operation?.responses[String(answer.statusCode)] ?? operation?.responses.default;
      // Routing refusals (414, a malformed URL) come before any route; the route's own are in its document.
      if (![400, 404, 405, 414].includes(answer.statusCode) || operation !== undefined) {
        expect(response?.content, `${what}: not a response of the document`).toHaveProperty([
          'application/problem+json',
        ]);
      }
      // No drain: a refusal published nothing to deliver, and an event it did publish moved the log already.
      expect(await take(), `${what}: a refusal changed something`).toEqual(current);
    }

    it('answers every hostile request below 500 with a declared status, and a refusal changes nothing', async () => {
      const seen: number[] = [];
      await fc.assert(
        fc.asyncProperty(REQUEST, async (generated) => {
          await send(generated);
          seen.push(generated.caller === 'admin' ? 1 : 0);
        }),
        { seed: SEED, numRuns: runs, endOnFailure: true },
      );
      expect(seen.filter((admin) => admin === 1).length).toBeGreaterThan(runs / 3);
      // The requests reach every layer: the guard, routing, the schemas, the handlers, and past them.
      expect(Object.keys(statuses)).toEqual(expect.arrayContaining(['200', '401', '403', '404', '422']));
    }, 120_000);
  });

  describe(`operator routes: what the fuzz found, ${name}`, () => {
    let game: GameApp;
    afterEach(async () => {
      await game.close();
    });

    /** A subscription that fails while `broken` says so, then takes `slowMs` per event: each failure a dead letter. */
    async function withDeadLetters(count: number) {
      game = await gameApp(options);
      const flaky = { broken: true, handled: 0 };
      game.weft.system('fuzz_test').events.subscribe(
        'character.created',
        async () => {
          if (flaky.broken) throw new Error('the fuzz test subscription is broken');
          // Slow enough that a second re-drive reads the letter while the first holds it.
          await new Promise((resolve) => setTimeout(resolve, 50));
          flaky.handled++;
        },
        { name: 'flaky', retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } },
      );
      await game.weft.events.ready();
      const [admin, ann] = [await game.admin(), await game.player('ann')];
      for (const name of ['Mira', 'Bea', 'Cora'].slice(0, count)) await createCharacter(game, ann, name, 'warrior');
      await game.weft.events.drain();
      const letters = await game.weft.events.deadLetters.list();
      expect(letters).toHaveLength(count);
      return { admin, ann, flaky, ids: letters.map((letter) => letter.id) };
    }

    it('refuses a body on DELETE /admin/dead-letters/:id, as on its re-drive, and keeps the letter', async () => {
      const { admin, ids } = await withDeadLetters(1);
      const [id] = ids as [string];
      for (const payload of [{ id }, { force: true }, []]) {
        const answer = await game.request({
          method: 'DELETE',
          url: `/admin/dead-letters/${id}`,
          headers: admin.auth,
          payload,
        });
        expect([JSON.stringify(payload), answer.statusCode]).toEqual([JSON.stringify(payload), 422]);
        expect(answer.json()).toMatchObject({ code: 'WEFT_VALIDATION', issues: [{ path: ['body'] }] });
      }
      expect((await game.weft.events.deadLetters.list()).map((letter) => letter.id)).toEqual([id]);
      // No body, or the empty object some clients always send, discards it.
      const discarded = await game.request({
        method: 'DELETE',
        url: `/admin/dead-letters/${id}`,
        headers: admin.auth,
        payload: {},
      });
      expect(discarded.statusCode).toBe(204);
      expect(await game.weft.events.deadLetters.list()).toEqual([]);
    });

    it('answers the later of two re-drives of one letter at once with a 404, and runs the handler once', async () => {
      const { admin, flaky, ids } = await withDeadLetters(2);
      flaky.broken = false;
      const [first, second] = ids as [string, string];
      const redrive = (id: string) =>
        game.request({ method: 'POST', url: `/admin/dead-letters/${id}/redrive`, headers: admin.auth });
      const twice = await Promise.all([redrive(first), redrive(first)]);
      expect(statusCounts(twice)).toEqual({ 200: 1, 404: 1 });
      expect(twice.find((answer) => answer.statusCode === 200)?.json()).toEqual({ id: first, redriven: true });
      expect(twice.find((answer) => answer.statusCode === 404)?.json()).toMatchObject({ code: 'WEFT_NOT_FOUND' });
      expect(flaky.handled).toBe(1);

      // A re-drive and a discard at once: one of them takes the letter; the other is a 404, never a `redriven: false`
      // that the console shows as "failed again".
      const [redriven, discarded] = await Promise.all([
        redrive(second),
        game.request({ method: 'DELETE', url: `/admin/dead-letters/${second}`, headers: admin.auth }),
      ]);
      const outcomes = [redriven.statusCode, discarded.statusCode];
      expect([
        [200, 404],
        [404, 204],
      ]).toContainEqual(outcomes);
      if (redriven.statusCode === 200) expect(redriven.json()).toEqual({ id: second, redriven: true });
      expect(flaky.handled).toBe(outcomes[0] === 200 ? 2 : 1);
      expect(await game.weft.events.deadLetters.list()).toEqual([]);
    });

    it('answers a re-drive that fails again with the letter, its new error and attempts', async () => {
      const { admin, ids } = await withDeadLetters(1);
      const answer = await game.request({
        method: 'POST',
        url: `/admin/dead-letters/${ids[0]}/redrive`,
        headers: admin.auth,
      });
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toMatchObject({ id: ids[0], redriven: false, deadLetter: { id: ids[0], attempts: 2 } });
    });

    it('refuses a rollback to a version past 2³¹ − 1 with the same 422 on every backend', async () => {
      game = await gameApp(options);
      const [operator, bob] = [await game.admin(), await game.player('bob')];
      const mira = await createCharacter(game, bob, 'Dora', 'warrior');
      const entry = `/admin/state/entries/character.characters/${mira}`;
      const before = await snapshot(game.weft);
      for (const toVersion of [2_147_483_648, Number.MAX_SAFE_INTEGER]) {
        const answer = await game.request({
          method: 'POST',
          url: `${entry}/rollback`,
          headers: operator.auth,
          payload: { toVersion },
        });
        expect([toVersion, answer.statusCode]).toEqual([toVersion, 422]);
        expect(answer.json()).toMatchObject({ code: 'WEFT_VALIDATION', issues: [{ path: ['body', 'toVersion'] }] });
      }
      expect(await snapshot(game.weft)).toEqual(before);
    });

    it('refuses a stream position no stream sent (past the log’s range, empty, not digits) with a 422', async () => {
      game = await gameApp(options);
      const admin = await game.admin();
      const positions = ['2147483648', '9007199254740991', '', '%20', '0x10', '1e3'];
      for (const since of positions) {
        const answer = await answerOrOpen(game, `/admin/events/stream?since=${since}`, admin.auth);
        expect([since, answer.statusCode]).toEqual([since, 422]);
        expect(answer.json()).toMatchObject({ code: 'WEFT_VALIDATION' });
      }
      for (const lastEventId of ['2147483648', '', ' ', '0x10']) {
        const answer = await answerOrOpen(game, '/admin/events/stream', {
          ...admin.auth,
          'last-event-id': lastEventId,
        });
        expect([lastEventId, answer.statusCode]).toEqual([lastEventId, 422]);
      }
    });
  });
}

/**
 * The answer to a request for the event stream, or a status of -1 when the stream opened and stays open (closing the
 * app ends it): an accepted stream never answers `inject` in full.
 */
async function answerOrOpen(
  game: GameApp,
  url: string,
  headers: Record<string, string>,
): Promise<Pick<LightMyRequestResponse, 'statusCode' | 'json' | 'body'>> {
  const open = { statusCode: -1, body: 'the stream opened', json: () => ({}) as never };
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<typeof open>((resolve) => {
    timer = setTimeout(() => resolve(open), 1000);
  });
  try {
    return await Promise.race([game.request({ method: 'GET', url, headers }), waited]);
  } finally {
    clearTimeout(timer);
  }
}
