import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import type { LoadSuite } from './suite.js';

/** The password of every benchmark player. */
export const PASSWORD = 'correct horse battery';

/** Where the servers of `http-servers.ts` listen, who signs in, and which characters craft. */
export interface HttpServers {
  readonly game: string;
  readonly bare: string;
  readonly players: ReadonlyArray<{ readonly username: string; readonly characterId: string }>;
}

/** Connections autocannon keeps open by default: 50, as the issue asks for crafting. */
const CONNECTIONS = 50;
/** Seconds of load per measurement; BENCH_HTTP_SECONDS to change. */
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 5);
/** Measurements per route; the report gives the median and the spread. */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));

/** One route measured on both servers: how to build each connection's requests, and the target. */
interface Pair {
  readonly label: string;
  readonly method: 'GET' | 'POST';
  readonly path: (player: HttpServers['players'][number]) => string;
  /** The bare server's path, when it is not the game's: a variant of the bare route. */
  readonly barePath?: string;
  /** Headers and body of one request from a signed-in connection. */
  readonly request: (
    token: string,
    player: HttpServers['players'][number],
  ) => { headers: Record<string, string>; body?: string };
  /** Highest acceptable ratio of the game's time per request to the bare route's. */
  readonly target?: number;
  /** Connections, when not CONNECTIONS: sign-in is bound by argon2 on 4 threads, more connections only queue. */
  readonly connections?: number;
  /** Seconds per measurement, when not SECONDS: a slow route needs longer to answer enough requests. */
  readonly seconds?: number;
}

/** One measurement: requests answered per second, and latency percentiles (ms). */
interface Measured {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
}

/** Starts the servers' process and reads where they listen. */
async function startServers(): Promise<{ child: ChildProcess; servers: HttpServers }> {
  const entry = fileURLToPath(new URL('./http-servers.js', import.meta.url));
  const child = spawn(process.execPath, [entry], { stdio: ['pipe', 'pipe', 'inherit'] });
  const servers = await new Promise<HttpServers>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line) as HttpServers));
    child.once('exit', (code) => reject(new Error(`the benchmark servers exited with ${String(code)}`)));
  });
  return { child, servers };
}

/** Signs every player in on `base`, as the load's connections will present them. */
async function tokens(base: string, servers: HttpServers): Promise<string[]> {
  return Promise.all(
    servers.players.map(async ({ username }) => {
      const response = await fetch(`${base}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: PASSWORD }),
      });
      if (!response.ok) throw new Error(`sign-in of ${username} on ${base}: ${response.status}`);
      return ((await response.json()) as { accessToken: string }).accessToken;
    }),
  );
}

/**
 * Loads one route for SECONDS with CONNECTIONS connections, each connection one player. Any answer other than
 * the expected status fails the run: a benchmark of refusals measures nothing.
 */
async function load(
  base: string,
  pair: Pair,
  servers: HttpServers,
  signedIn: readonly string[],
  path: (player: HttpServers['players'][number]) => string,
): Promise<Measured> {
  let next = 0;
  const result = await autocannon({
    url: base,
    connections: pair.connections ?? CONNECTIONS,
    duration: pair.seconds ?? SECONDS,
    requests: [
      {
        method: pair.method,
        setupRequest: (request, context: { player?: number }) => {
          context.player ??= next++ % servers.players.length;
          const player = servers.players[context.player]!;
          const { headers, body } = pair.request(signedIn[context.player] ?? '', player);
          return {
            ...request,
            path: path(player),
            headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
            ...(body === undefined ? {} : { body }),
          };
        },
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0 || result.requests.total === 0) {
    throw new Error(
      `${pair.label} on ${base}: ${result.requests.total} answers, ${result.non2xx} other than 2xx, ${result.errors} errors ` +
        `(${JSON.stringify(result.statusCodeStats)})`,
    );
  }
  // Answers over the run, not the mean of per-second samples: a run of a few seconds has few samples.
  return { rps: result.requests.total / result.duration, p50: result.latency.p50, p99: result.latency.p99 };
}

/** Fails the run unless both servers answer GET /me with the same body and the same headers (values aside). */
async function expectSameAnswer(servers: HttpServers, signedIn: { game: readonly string[]; bare: readonly string[] }) {
  const answer = async (base: string, token: string | undefined) => {
    const response = await fetch(`${base}/me`, { headers: { authorization: `Bearer ${token ?? ''}` } });
    return { body: await response.text(), headers: [...response.headers.keys()].sort().join(', ') };
  };
  const [game, bare] = await Promise.all([
    answer(servers.game, signedIn.game[0]),
    answer(servers.bare, signedIn.bare[0]),
  ]);
  if (game.body !== bare.body || game.headers !== bare.headers) {
    throw new Error(`GET /me answers differ:\ngame ${JSON.stringify(game)}\nbare ${JSON.stringify(bare)}`);
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** `median (min–max)` of a series. */
function spread(values: readonly number[], digits = 0): string {
  return `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;
}

/** Measures each pair on both servers, ROUNDS times in alternating order, and writes the report. */
function httpLoadSuite(name: string, pairs: readonly Pair[]): LoadSuite {
  let started: { child: ChildProcess; servers: HttpServers } | undefined;
  return {
    name,
    async run() {
      started = await startServers();
      const { servers } = started;
      const signedIn = { game: await tokens(servers.game, servers), bare: await tokens(servers.bare, servers) };
      await expectSameAnswer(servers, signedIn);
      let report = `| route | server | requests/s | p50 ms | p99 ms |\n|---|---|---:|---:|---:|\n`;
      let ratios = `| ratio (game time per request / bare) | median (min–max) | target |\n|---|---:|---:|\n`;
      let missed = 0;
      for (const pair of pairs) {
        const runs = { game: [] as Measured[], bare: [] as Measured[] };
        for (let round = 0; round < ROUNDS; round++) {
          const order = round % 2 === 0 ? (['game', 'bare'] as const) : (['bare', 'game'] as const);
          for (const server of order) {
            const barePath = pair.barePath;
            const path = server === 'bare' && barePath !== undefined ? () => barePath : pair.path;
            runs[server].push(await load(servers[server], pair, servers, signedIn[server], path));
          }
        }
        for (const server of ['game', 'bare'] as const) {
          const ms = runs[server];
          report +=
            `| ${pair.label} | ${server} | ${spread(ms.map((m) => m.rps))} | ${spread(
              ms.map((m) => m.p50),
              1,
            )} ` +
            `| ${spread(
              ms.map((m) => m.p99),
              1,
            )} |\n`;
        }
        // Same connections on both sides, so time per request is the inverse of throughput; round by round.
        const perRound = runs.game.map((game, i) => (runs.bare[i]?.rps ?? NaN) / game.rps);
        const value = median(perRound);
        let verdict = '';
        if (pair.target !== undefined) {
          verdict = value <= pair.target ? `<= ${pair.target} met` : `<= ${pair.target} MISSED`;
          if (value > pair.target) missed++;
        }
        ratios += `| ${pair.label} | ${spread(perRound, 2)}x | ${verdict} |\n`;
      }
      const setup = pairs
        .map((p) => `${p.label}: ${p.connections ?? CONNECTIONS} connections, ${p.seconds ?? SECONDS} s`)
        .join('; ');
      return { report: `${setup}; ${ROUNDS} rounds; one player per connection.\n\n${report}\n${ratios}`, missed };
    },
    async close() {
      if (started === undefined) return;
      const exited = new Promise((resolve) => started?.child.once('exit', resolve));
      started.child.stdin?.end();
      await exited;
    },
  };
}

/** `POST /auth/login` and an authenticated `GET /me`, game server against bare Fastify routes. */
export function httpSuite(): LoadSuite {
  return httpLoadSuite('http: sign-in and an authenticated read (SQLite file, loopback)', [
    {
      label: 'POST /auth/login',
      method: 'POST',
      connections: 8,
      seconds: 10,
      path: () => '/auth/login',
      request: (_token, player) => ({
        headers: {},
        body: JSON.stringify({ username: player.username, password: PASSWORD }),
      }),
    },
    {
      label: 'GET /me',
      method: 'GET',
      path: () => '/me',
      request: (token) => ({ headers: { authorization: `Bearer ${token}` } }),
      target: 1.3,
    },
    {
      // For comparison, not the target: the bare route as usually written, checking the token's signature on every
      // request (jose through WebCrypto), where the game (and the bare GET /me above) check a token once.
      label: 'GET /me, bare verifying every token',
      method: 'GET',
      path: () => '/me',
      barePath: '/me/verify-each',
      request: (token) => ({ headers: { authorization: `Bearer ${token}` } }),
    },
  ]);
}

/** `POST /characters/:id/craft`, each request its own Idempotency-Key, game server against a bare route. */
export function craftSuite(): LoadSuite {
  return httpLoadSuite('craft over HTTP: smelt_copper, one Idempotency-Key per request (SQLite file, loopback)', [
    {
      label: 'POST /characters/:id/craft',
      method: 'POST',
      path: (player) => `/characters/${player.characterId}/craft`,
      request: (token) => ({
        headers: { authorization: `Bearer ${token}`, 'idempotency-key': randomUUID() },
        body: JSON.stringify({ recipeId: 'smelt_copper' }),
      }),
      target: 2,
    },
  ]);
}
