// The servers of the HTTP benchmarks, in a process of their own so that the load generator (autocannon, in the
// parent) never shares their event loop: the game server as `weft serve` builds it, and a bare Fastify server doing
// the same work by hand. Prints one JSON line (where they listen, who signs in, which characters craft), then
// serves until its stdin closes.
import { randomFillSync, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verify } from '@node-rs/argon2';
import Sqlite from 'better-sqlite3';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { SignJWT, jwtVerify } from 'jose';
import { MonitoringManager, createIntegration } from '../src/integration/internal.js';
import { gameRoutes, gameSystems } from '../src/game/index.js';
import { buildApp } from '../src/server/index.js';
import { PASSWORD, type HttpServers } from './http.bench.js';

/** Players, one per load connection, each with one character that crafts. */
const PLAYERS = Number(process.env.BENCH_HTTP_PLAYERS ?? 50);
/** Helmet's default headers, as the game sends them on every answer. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';" +
    "img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' https: " +
    "'unsafe-inline';upgrade-insecure-requests",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};
/** Random bytes for the bare routes' trace ids, drawn 4 KiB at a time. */
const TRACE_POOL = Buffer.allocUnsafe(4096);
let tracePoolHex = '';
let tracePoolOffset = TRACE_POOL.length;

/**
 * 24 random bytes as hex (a trace id and a span id), cut from a pool as the game's tracing cuts them: a `randomBytes`
 * call per request took a twelfth of the bare `GET /me`'s time, which made the bare peer slower than it need be.
 */
function randomTraceHex(): string {
  if (tracePoolOffset + 24 > TRACE_POOL.length) {
    randomFillSync(TRACE_POOL);
    tracePoolHex = TRACE_POOL.toString('hex');
    tracePoolOffset = 0;
  }
  const hex = tracePoolHex.slice(tracePoolOffset * 2, (tracePoolOffset + 24) * 2);
  tracePoolOffset += 24;
  return hex;
}
/** Crafts each character can afford (smelt_copper takes 2 copper_ore, 1 coal, 1 gold): more than a run makes. */
const STOCK = 5_000;

const folder = await mkdtemp(join(tmpdir(), 'weft-bench-http-'));
const monitoring = new MonitoringManager({ logger: { level: 'silent' }, processMetrics: false });
const weft = await createIntegration({ database: `sqlite:${join(folder, 'game.db')}`, monitoring });
// The compiled bench lives in .bench-build/bench, where no content was copied: read the source folder's.
await weft.install(
  ...gameSystems({ contentFolder: fileURLToPath(new URL('../../src/game/content/', import.meta.url)) }),
);
weft.assertWired();
// As `weft serve` builds it, but for the rate limits: the load comes from one address and 50 users, and a 429
// would measure the limiter's refusals rather than the routes.
const game = buildApp({
  monitoring,
  state: weft.state,
  game: { weft, routes: gameRoutes, rateLimits: { auth: 1e9, command: 1e9 } },
});

const players: Array<{ username: string; characterId: string }> = [];
for (let i = 0; i < PLAYERS; i++) {
  const username = `bench_${i}`;
  const { userId } = await weft.execute('auth_user.register', { username, password: PASSWORD });
  const actor = { kind: 'user', id: userId, roles: ['player'] } as const;
  const character = await weft.execute('character.create', { name: `Smith${i}`, class: 'warrior' }, { actor });
  // Seeded through the systems' own commands, as a quest reward or loot would.
  await weft.execute('character.give_items', {
    characterId: character.id,
    items: [
      { itemId: 'copper_ore', count: 2 * STOCK },
      { itemId: 'coal', count: STOCK },
    ],
    reason: 'bench',
  });
  await weft.events.drain();
  await weft.execute('economy.credit', { characterId: character.id, gold: STOCK, source: 'loot' });
  players.push({ username, characterId: character.id });
}

const bare = await bareServer(join(folder, 'bare.db'), join(folder, 'game.db'));
const [gameUrl, bareUrl] = [
  await game.listen({ host: '127.0.0.1', port: 0 }),
  await bare.listen({ host: '127.0.0.1', port: 0 }),
];
process.stdout.write(`${JSON.stringify({ game: gameUrl, bare: bareUrl, players } satisfies HttpServers)}\n`);

process.stdin.resume();
process.stdin.on('end', () => {
  void (async () => {
    await bare.close();
    await game.close();
    await weft.close();
    await rm(folder, { recursive: true, force: true });
  })();
});

/**
 * The peer: Fastify with plain routes doing by hand what the game's routes do. Its database is a file of its own
 * with the game's pragmas (WAL, synchronous FULL), holding copies of the game's accounts (same argon2 hashes),
 * and one row per character and wallet. Craft runs the game's statements for one craft in one transaction:
 * the idempotency row, the two reads, both updates with their history rows, the ledger lines, the events.
 */
async function bareServer(file: string, gameFile: string): Promise<FastifyInstance> {
  const db = new Sqlite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`
    create table accounts (id text primary key, username text not null unique, password_hash text not null,
      roles text not null);
    create table sessions (id text primary key, user_id text not null, state text not null, created_at text not null);
    create table characters (id text primary key, owner_id text not null, value text not null, version integer not null);
    create table wallets (id text primary key, gold integer not null, version integer not null);
    create table history (entity text not null, version integer not null, value text not null, at text not null,
      primary key (entity, version));
    create table ledger (movement_id text not null, account text not null, amount integer not null, at text not null);
    create table event_log (id text primary key, type text not null, time text not null, data text not null);
    create table command_results (actor text not null, key text not null, result text,
      primary key (actor, key));
  `);
  const source = new Sqlite(gameFile, { readonly: true });
  const accounts = source.prepare('select id, username, password_hash, roles from auth_user_accounts').all() as Array<{
    id: string;
    username: string;
    password_hash: string;
    roles: string;
  }>;
  source.close();
  const insertAccount = db.prepare('insert into accounts values (@id, @username, @password_hash, @roles)');
  for (const account of accounts) insertAccount.run(account);
  for (const player of players) {
    const owner = accounts.find((a) => a.username === player.username)?.id ?? '';
    const inventory = { copper_ore: 2 * STOCK, coal: STOCK };
    db.prepare('insert into characters values (?, ?, ?, 1)').run(player.characterId, owner, JSON.stringify(inventory));
    db.prepare('insert into wallets values (?, ?, 1)').run(player.characterId, STOCK);
  }

  const key = new TextEncoder().encode(randomUUID());
  const byName = db.prepare('select id, password_hash, roles from accounts where username = ?');
  const session = db.prepare('select state from sessions where id = ?');
  const sessionWithAccount = db.prepare(
    'select s.state, a.username, a.roles from sessions s join accounts a on a.id = s.user_id where s.id = ?',
  );
  const openSession = db.prepare('insert into sessions values (?, ?, ?, ?)');
  const claimKey = db.prepare('insert into command_results (actor, key) values (?, ?) on conflict do nothing');
  const character = db.prepare('select owner_id, value, version from characters where id = ?');
  const wallet = db.prepare('select gold, version from wallets where id = ?');
  const updateCharacter = db.prepare('update characters set value = ?, version = ? where id = ? and version = ?');
  const updateWallet = db.prepare('update wallets set gold = ?, version = ? where id = ? and version = ?');
  const history = db.prepare('insert into history values (?, ?, ?, ?)');
  const ledger = db.prepare('insert into ledger values (?, ?, ?, ?), (?, ?, ?, ?)');
  const event = db.prepare('insert into event_log values (?, ?, ?, ?)');
  const storeResult = db.prepare('update command_results set result = ? where actor = ? and key = ?');

  const sign = (userId: string, sessionId: string, roles: string[]) =>
    new SignJWT({ sid: sessionId, roles })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('weft')
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime('15m')
      .sign(key);
  // As the game does (AccessTokens): a token's signature is checked once, its claims kept until it expires.
  const verified = new Map<string, { userId: string; sessionId: string; expiresAt: number }>();
  const bearer = async (authorization: string | undefined, keep = true) => {
    const token = authorization?.slice('Bearer '.length) ?? '';
    const known = keep ? verified.get(token) : undefined;
    if (known !== undefined && Date.now() < known.expiresAt) return known;
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: 'weft' });
    const who = { userId: String(payload.sub), sessionId: String(payload.sid), expiresAt: Number(payload.exp) * 1000 };
    if (keep) verified.set(token, who);
    return who;
  };

  const craft = db.transaction((userId: string, idempotencyKey: string, characterId: string) => {
    claimKey.run(userId, idempotencyKey);
    const row = character.get(characterId) as { owner_id: string; value: string; version: number } | undefined;
    if (row?.owner_id !== userId) return { status: 404 as const, body: { title: 'Not Found' } };
    const gold = wallet.get(characterId) as { gold: number; version: number };
    const inventory = JSON.parse(row.value) as Record<string, number>;
    if ((inventory.copper_ore ?? 0) < 2 || (inventory.coal ?? 0) < 1 || gold.gold < 1) {
      return { status: 409 as const, body: { title: 'Conflict' } };
    }
    const at = new Date().toISOString();
    inventory.copper_ore = (inventory.copper_ore ?? 0) - 2;
    inventory.coal = (inventory.coal ?? 0) - 1;
    updateCharacter.run(JSON.stringify(inventory), row.version + 1, characterId, row.version);
    history.run(characterId, row.version + 1, JSON.stringify(inventory), at);
    updateWallet.run(gold.gold - 1, gold.version + 1, characterId, gold.version);
    history.run(`wallet:${characterId}`, gold.version + 1, JSON.stringify({ gold: gold.gold - 1 }), at);
    const movement = randomUUID();
    ledger.run(movement, `wallet:${characterId}`, -1, at, movement, 'sink:crafting_fee', 1, at);
    inventory.copper_bar = (inventory.copper_bar ?? 0) + 1;
    updateCharacter.run(JSON.stringify(inventory), row.version + 2, characterId, row.version + 1);
    history.run(characterId, row.version + 2, JSON.stringify(inventory), at);
    for (const type of ['character.items_changed', 'economy.gold_moved', 'character.items_changed']) {
      event.run(randomUUID(), type, at, JSON.stringify({ characterId }));
    }
    event.run(randomUUID(), 'crafting.item_crafted', at, JSON.stringify({ characterId, itemId: 'copper_bar' }));
    // The game also logs a state.changed event per state write (two of the character, one of the wallet).
    for (const entity of [characterId, `wallet:${characterId}`, characterId]) {
      event.run(randomUUID(), 'state.changed', at, JSON.stringify({ entity }));
    }
    const result = {
      characterId,
      recipeId: 'smelt_copper',
      itemId: 'copper_bar',
      made: 1,
      fee: 1,
      gold: gold.gold - 1,
    };
    storeResult.run(JSON.stringify(result), userId, idempotencyKey);
    return { status: 200 as const, body: result };
  });

  const app = Fastify();
  // The same answer as the game's, headers included: every game route sends helmet's security headers, the request's
  // id (as x-request-id and x-correlation-id) and its traceparent. Here they are written by hand, the security headers
  // as constants. (Until 2026-12-04 the bare routes sent none of them, which left that work out of the comparison.)
  app.addHook('onRequest', (request, reply, done) => {
    const id = randomUUID();
    const trace = randomTraceHex();
    void reply.headers(SECURITY_HEADERS);
    void reply.header('x-correlation-id', id);
    void reply.header('x-request-id', id);
    void reply.header('traceparent', `00-${trace.slice(0, 32)}-${trace.slice(32)}-01`);
    done();
  });
  app.post('/auth/login', async (request, reply) => {
    const { username, password } = request.body as { username: string; password: string };
    const account = byName.get(username) as { id: string; password_hash: string; roles: string } | undefined;
    if (account === undefined || !(await verify(account.password_hash, password))) {
      return reply.code(401).send({ title: 'Unauthorized' });
    }
    const sessionId = randomUUID();
    openSession.run(sessionId, account.id, 'active', new Date().toISOString());
    return { accessToken: await sign(account.id, sessionId, JSON.parse(account.roles) as string[]) };
  });
  const me = (keep: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const who = await bearer(request.headers.authorization, keep).catch(() => undefined);
    // The same work as the game: a signed-out session's token stops working at once, so each read checks the session,
    // in the game's one statement that reads the account with it.
    const row =
      who === undefined
        ? undefined
        : (sessionWithAccount.get(who.sessionId) as { state: string; username: string; roles: string } | undefined);
    if (who === undefined || row?.state !== 'active') return reply.code(401).send({ title: 'Unauthorized' });
    return { userId: who.userId, username: row.username, roles: JSON.parse(row.roles) as string[] };
  };
  app.get('/me', me(true));
  app.get('/me/verify-each', me(false));
  app.post('/characters/:id/craft', async (request, reply) => {
    const who = await bearer(request.headers.authorization).catch(() => undefined);
    if (who === undefined || (session.get(who.sessionId) as { state: string } | undefined)?.state !== 'active') {
      return reply.code(401).send({ title: 'Unauthorized' });
    }
    const { id } = request.params as { id: string };
    const key = request.headers['idempotency-key'];
    const done = craft.immediate(who.userId, typeof key === 'string' ? key : randomUUID(), id);
    return reply.code(done.status).send(done.body);
  });
  return app;
}
