import { Ajv2020 } from 'ajv/dist/2020.js';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MonitoringManager } from 'weft/internal';
import { gameRoutes } from '../../src/game/index.js';
import { buildApp } from '../../src/server/index.js';
import { gameApp, type GameApp } from '../game/http-harness.js';
import { createCharacter } from '../game/http-play.js';

/** The parts of the OpenAPI document the tests read. */
interface Parameter {
  readonly name: string;
  readonly in: string;
  readonly required?: boolean;
  readonly description?: string;
  readonly schema?: { readonly type?: string; readonly pattern?: string };
}
interface Response {
  readonly description: string;
  readonly headers?: Record<string, unknown>;
  readonly content?: Record<string, { readonly schema?: unknown }>;
}
interface Operation {
  readonly summary?: string;
  readonly requestBody?: { readonly required?: boolean };
  readonly parameters?: readonly Parameter[];
  readonly responses: Record<string, Response>;
}
interface Document {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: { readonly schemas: Record<string, object> };
}

const PROBLEM = { $ref: '#/components/schemas/Problem' };

function operation(document: Document, method: string, path: string): Operation {
  const found = document.paths[path]?.[method.toLowerCase()];
  if (found === undefined) throw new Error(`${method} ${path} is not in the document`);
  return found;
}

function idempotencyKey(operation: Operation): Parameter | undefined {
  return operation.parameters?.find((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
}

/** Every `$ref` in the document, with where it is. */
function refsOf(value: unknown, at = '#'): Array<{ at: string; ref: string }> {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) =>
    key === '$ref' && typeof child === 'string'
      ? [{ at, ref: child }]
      : refsOf(child, `${at}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`),
  );
}

/** The value a local `$ref` (`#/a/b~1c`) points at, or undefined. */
function resolve(document: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((token) => decodeURIComponent(token).replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>(
      (node, token) =>
        typeof node === 'object' && node !== null && Object.hasOwn(node, token)
          ? (node as Record<string, unknown>)[token]
          : undefined,
      document,
    );
}

/** Whether a body is a problem document by the document's own Problem schema. */
function problemValidator(document: Document) {
  const ajv = new Ajv2020({ strict: false });
  ajv.addSchema({ $id: 'openapi.json', components: document.components });
  return ajv.compile({ $ref: `openapi.json${PROBLEM.$ref}` });
}

describe('the OpenAPI document', () => {
  let game: GameApp;
  let document: Document;
  beforeAll(async () => {
    game = await gameApp();
    const answer = await game.request({ method: 'GET', url: '/openapi.json' });
    expect(answer.statusCode).toBe(200);
    document = answer.json<Document>();
  });
  afterAll(() => game.close());

  it('lists the optional Idempotency-Key header of an idempotent route, and Idempotent-Replayed on its success', () => {
    const transfer = operation(document, 'POST', '/characters/{id}/transfer');
    expect(transfer.parameters?.map((p) => `${p.in} ${p.name}`)).toEqual(['path id', 'header Idempotency-Key']);
    const key = idempotencyKey(transfer);
    expect(key).toMatchObject({ required: false, schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$' } });
    expect(key?.description).toMatch(/Idempotent-Replayed: true/);
    expect(key?.description).toMatch(/422/);
    expect(Object.keys(transfer.responses['200']?.headers ?? {})).toEqual(['Idempotent-Replayed']);
    // An idempotent route that answers 201 says so on its 201.
    const encounter = operation(document, 'POST', '/characters/{id}/encounters');
    expect(idempotencyKey(encounter)).toBeDefined();
    expect(Object.keys(encounter.responses['201']?.headers ?? {})).toEqual(['Idempotent-Replayed']);
  });

  it('lists the problem documents of the transfer route, each referencing the Problem schema', () => {
    const transfer = operation(document, 'POST', '/characters/{id}/transfer');
    expect(Object.keys(transfer.responses)).toEqual(['200', '401', '404', '422', '429', 'default']);
    for (const status of ['401', '404', '422', '429', 'default']) {
      expect([status, transfer.responses[status]?.content]).toEqual([
        status,
        { 'application/problem+json': { schema: PROBLEM } },
      ]);
      expect(transfer.responses[status]?.description).toEqual(expect.any(String));
    }
    expect(Object.keys(transfer.responses['429']?.headers ?? {})).toEqual(['Retry-After']);
    // A success is described by the route's summary, not the generator's "Default Response".
    expect(transfer.responses['200']?.description).toBe(transfer.summary);
    expect(document.components.schemas.Problem).toMatchObject({
      required: ['type', 'title', 'status', 'detail', 'code', 'instance'],
      properties: { issues: { items: { $ref: '#/components/schemas/ValidationIssue' } }, omittedIssues: {} },
    });
  });

  it('lists no Idempotency-Key on other routes, and only the errors each route can give', () => {
    const me = operation(document, 'GET', '/me');
    expect(idempotencyKey(me)).toBeUndefined();
    expect(me.responses['200']?.headers).toBeUndefined();
    // No input to refuse, no path to miss, no limit on GETs.
    expect(Object.keys(me.responses)).toEqual(['200', '401', 'default']);
    // Public: no 401; content answers 304 to a matching If-None-Match.
    expect(Object.keys(operation(document, 'GET', '/content/items').responses)).toEqual(['200', '304', 'default']);
    expect(Object.keys(operation(document, 'GET', '/content/items/{id}').responses)).toEqual([
      '200',
      '304',
      '404',
      '422',
      'default',
    ]);
    expect(Object.keys(operation(document, 'POST', '/auth/login').responses)).toEqual(['200', '422', '429', 'default']);
    // An admin game route refuses a player with 403; so does the operator guard, the app having accounts.
    expect(Object.keys(operation(document, 'GET', '/admin/economy').responses)).toEqual([
      '200',
      '401',
      '403',
      'default',
    ]);
    expect(Object.keys(operation(document, 'GET', '/admin/dead-letters/{id}').responses)).toEqual([
      '200',
      '401',
      '403',
      '404',
      '422',
      'default',
    ]);
    // The probes' routes are open.
    expect(Object.keys(operation(document, 'GET', '/health/live').responses)).toEqual(['200', 'default']);
    const withKey = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).flatMap(([method, op]) => (idempotencyKey(op) === undefined ? [] : [`${method} ${path}`])),
    );
    const idempotent = gameRoutes
      .filter((route) => route.idempotent)
      .map((route) => `${route.method.toLowerCase()} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
    expect(withKey.sort()).toEqual(idempotent.sort());
    expect(withKey).not.toContain('post /characters/{id}/quests/{questId}/accept');
  });

  it('resolves every $ref, and keeps nothing of its own making in the operations', () => {
    expect(document.openapi).toBe('3.1.0');
    const refs = refsOf(document);
    expect(refs.filter(({ ref }) => ref === PROBLEM.$ref).length).toBeGreaterThan(100);
    expect(refs.filter(({ ref }) => resolve(document, ref) === undefined)).toEqual([]);
    // The trace route's recursive event tree is a component of its own (trace-route.ts).
    expect(resolve(document, '#/components/schemas/TracedEvent')).toBeDefined();
    expect(JSON.stringify(document)).not.toContain('x-weft-route');
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(item)) {
        expect([method, path, op.responses.default?.content]).toEqual([
          method,
          path,
          { 'application/problem+json': { schema: PROBLEM } },
        ]);
      }
    }
  });

  it('lists the ETag, If-None-Match and 304 of the content routes, and answers as it says', async () => {
    for (const path of ['/content/items', '/content/items/{id}', '/content/market', '/content/market/{id}']) {
      const read = operation(document, 'GET', path);
      expect([path, Object.keys(read.responses['200']?.headers ?? {})]).toEqual([path, ['ETag']]);
      expect([path, read.responses['304']?.content]).toEqual([path, undefined]);
      expect(read.parameters?.find((p) => p.in === 'header')).toMatchObject({ name: 'If-None-Match', required: false });
    }
    // Routes that send no ETag list none.
    expect(operation(document, 'GET', '/world').responses['304']).toBeUndefined();
    const first = await game.request({ method: 'GET', url: '/content/items/wood' });
    const etag = first.headers.etag;
    expect(etag).toEqual(expect.any(String));
    const again = await game.request({
      method: 'GET',
      url: '/content/items/wood',
      headers: { 'if-none-match': String(etag) },
    });
    expect([again.statusCode, again.body]).toEqual([304, '']);
    expect(Object.keys(operation(document, 'GET', '/content/items/{id}').responses)).toContain('304');
  });

  it('marks a body not required where the route takes none or an optional one, and the route agrees', async () => {
    const optional = [
      ['POST', '/auth/logout'],
      ['POST', '/admin/world/tick'],
      ['POST', '/characters/{id}/quests/{questId}/accept'],
      ['POST', '/characters/{id}/quests/{questId}/claim'],
      ['POST', '/admin/dead-letters/{id}/redrive'],
      ['POST', '/admin/subscriptions/{name}/replay'],
      ['POST', '/admin/state/transactions/{transactionId}/rollback'],
    ] as const;
    for (const [method, path] of optional) {
      expect([method, path, operation(document, method, path).requestBody?.required]).toEqual([method, path, false]);
    }
    for (const path of ['/characters', '/characters/{id}/transfer', '/auth/login']) {
      expect([path, operation(document, 'POST', path).requestBody?.required]).toEqual([path, true]);
    }
    const admin = await game.admin();
    const tick = await game.request({ method: 'POST', url: '/admin/world/tick', headers: admin.auth });
    expect(tick.statusCode, tick.body).toBe(200);
    const ann = await game.player('ann_no_body');
    const out = await game.request({ method: 'POST', url: '/auth/logout', headers: ann.auth });
    expect([out.statusCode, out.json()]).toEqual([200, { revoked: true }]);
  });

  it('says the rules a new account’s and a new character’s names are checked against, which a 422 enforces', () => {
    const fieldOf = (path: string, field: string) => {
      const body = operation(document, 'POST', path).requestBody as {
        content: { 'application/json': { schema: { properties: Record<string, { description?: string }> } } };
      };
      return body.content['application/json'].schema.properties[field]?.description ?? '';
    };
    expect(fieldOf('/auth/register', 'username')).toContain('3 to 32 of a-z, 0-9 and _');
    expect(fieldOf('/auth/register', 'password')).toContain('10 to 128 characters');
    expect(fieldOf('/characters', 'name')).toContain('3 to 24 letters');
  });

  it('says a query number as the integer a client sends, with its range and default, not as a bare pattern', () => {
    const query = (path: string, name: string) =>
      operation(document, 'GET', path).parameters?.find((p) => p.in === 'query' && p.name === name)?.schema;
    expect(query('/admin/dead-letters', 'limit')).toEqual({ type: 'integer', minimum: 1, maximum: 200, default: 50 });
    expect(query('/characters/{id}/ledger', 'limit')).toEqual({ type: 'integer', minimum: 1, maximum: 200 });
    expect(query('/admin/economy/history', 'hours')).toEqual({ type: 'integer', minimum: 1, maximum: 168 });
  });

  it('lists the 429 of the event stream, which refuses past its open streams', () => {
    const stream = operation(document, 'GET', '/admin/events/stream');
    expect(Object.keys(stream.responses)).toContain('429');
    expect(Object.keys(stream.responses['429']?.headers ?? {})).toEqual(['Retry-After']);
  });

  it('answers as before: an idempotent transfer replays, and each refusal is a documented problem', async () => {
    const isProblem = problemValidator(document);
    const transfer = operation(document, 'POST', '/characters/{id}/transfer');
    const refused = (answer: LightMyRequestResponse, status: number): void => {
      expect([answer.statusCode, answer.headers['content-type']]).toEqual([
        status,
        'application/problem+json; charset=utf-8',
      ]);
      expect(Object.keys(transfer.responses)).toContain(String(status));
      expect(isProblem(answer.json()), JSON.stringify(isProblem.errors)).toBe(true);
    };

    const ann = await game.player('ann');
    const bob = await game.player('bob');
    const giver = await createCharacter(game, ann, 'Anna', 'warrior');
    const taker = await createCharacter(game, bob, 'Bert', 'ranger');
    const send = (key: string | undefined, payload: object, from = giver, auth: object = ann.auth) =>
      game.request({
        method: 'POST',
        url: `/characters/${from}/transfer`,
        headers: { ...auth, ...(key === undefined ? {} : { 'idempotency-key': key }) },
        payload,
      });

    const first = await send('gift-1', { toCharacterId: taker, gold: 15 });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await send('gift-1', { toCharacterId: taker, gold: 15 });
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(first.json()).toMatchObject({ from: { gold: 50 - 15 }, to: { gold: 60 + 15 } });

    refused(await send('gift-1', { toCharacterId: taker, gold: 16 }), 422);
    // The document's pattern and the route agree on what a key is.
    const pattern = new RegExp(idempotencyKey(transfer)?.schema?.pattern ?? '');
    expect([pattern.test('gift 2'), pattern.test('x'.repeat(201)), pattern.test('gift-2')]).toEqual([
      false,
      false,
      true,
    ]);
    refused(await send('gift 2', { toCharacterId: taker, gold: 1 }), 422);
    refused(await send('x'.repeat(201), { toCharacterId: taker, gold: 1 }), 422);
    const invalid = await send(undefined, { toCharacterId: taker, gold: 0 });
    refused(invalid, 422);
    expect(invalid.json<{ issues: Array<{ path: unknown[] }> }>().issues[0]?.path).toEqual(['body', 'gold']);
    refused(await send(undefined, { toCharacterId: taker, gold: 1 }, giver, {}), 401);
    refused(await send(undefined, { toCharacterId: giver, gold: 1 }, taker), 404);
    const wallet = await game.request({ method: 'GET', url: `/characters/${giver}/wallet`, headers: ann.auth });
    expect(wallet.json()).toMatchObject({ gold: 50 - 15 });
  });
});

describe('the OpenAPI document of an app without accounts', () => {
  it('lists 401 but no 403 on the operator routes: only a signed-in player could be forbidden', async () => {
    const monitoring = new MonitoringManager({ logger: { level: 'silent' }, processMetrics: false });
    const app = buildApp({ monitoring });
    try {
      const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<Document>();
      expect(Object.keys(operation(document, 'GET', '/alerts').responses)).toEqual(['200', '401', 'default']);
      expect(Object.keys(operation(document, 'PUT', '/logs/levels/{system}').responses)).toEqual([
        '200',
        '400',
        '401',
        '404',
        '422',
        'default',
      ]);
      expect(Object.keys(operation(document, 'GET', '/health').responses)).toEqual(['200', '503', 'default']);
    } finally {
      await app.close();
    }
  });
});

describe('the operator routes as the document shows them', () => {
  it('declares the health report of a 200 and a 503, the level change’s body and refusals, and answers so', async () => {
    const monitoring = new MonitoringManager({ logger: { level: 'silent' }, processMetrics: false });
    monitoring.health.register({ name: 'database', check: () => Promise.reject(new Error('no database')) });
    const app = buildApp({ monitoring });
    try {
      const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<Document>();
      const ajv = new Ajv2020({ strict: false });
      ajv.addSchema({ $id: 'openapi.json', components: document.components });
      /** Whether an answer is one the document declares for its route and status, by content type and schema. */
      const declared = (answer: LightMyRequestResponse, method: string, path: string): unknown => {
        const responses = operation(document, method, path).responses;
        const response = responses[String(answer.statusCode)] ?? responses.default;
        const type = String(answer.headers['content-type']).split(';')[0] ?? '';
        const schema = response?.content?.[type]?.schema;
        if (schema === undefined) return `${answer.statusCode} ${type} is not declared`;
        const check = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/', '"openapi.json#/')) as object);
        const body: unknown = type.endsWith('json') ? answer.json() : answer.body;
        return check(body) ? true : check.errors;
      };
      for (const url of ['/health', '/health/ready']) {
        const down = await app.inject({ method: 'GET', url });
        expect([url, down.statusCode, declared(down, 'GET', url)]).toEqual([url, 503, true]);
      }
      for (const url of ['/health/live', '/metrics', '/alerts', '/logs/recent']) {
        const answer = await app.inject({ method: 'GET', url });
        expect([url, answer.statusCode, declared(answer, 'GET', url)]).toEqual([url, 200, true]);
      }
      const levels = operation(document, 'PUT', '/logs/levels/{system}') as Operation & {
        requestBody?: { content?: Record<string, unknown> };
      };
      expect(Object.keys(levels.requestBody?.content ?? {})).toEqual(['application/json']);
      const change = (payload: object) => app.inject({ method: 'PUT', url: '/logs/levels/http', payload });
      const changed = await change({ level: 'warn' });
      expect([changed.statusCode, declared(changed, 'PUT', '/logs/levels/{system}')]).toEqual([200, true]);
      const refused = await change({ level: 'loud' });
      expect([refused.statusCode, declared(refused, 'PUT', '/logs/levels/{system}')]).toEqual([422, true]);
    } finally {
      await app.close();
    }
  });
});

describe('the 429 the document lists', () => {
  it('is a problem document with Retry-After past a route’s rate limit', async () => {
    const limited = await gameApp({ rateLimits: { auth: 1, command: 1000 } });
    try {
      const login = () =>
        limited.request({ method: 'POST', url: '/auth/login', payload: { username: 'nobody', password: 'guess' } });
      await login();
      const refused = await login();
      expect(refused.statusCode).toBe(429);
      expect(refused.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      const document = (await limited.request({ method: 'GET', url: '/openapi.json' })).json<Document>();
      const isProblem = problemValidator(document);
      expect(isProblem(refused.json()), JSON.stringify(isProblem.errors)).toBe(true);
      expect(Object.keys(operation(document, 'POST', '/auth/login').responses)).toContain('429');
    } finally {
      await limited.close();
    }
  });
});
