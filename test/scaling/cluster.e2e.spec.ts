// Three real `weft serve` processes on one PostgreSQL database, serving one game: players act through
// all of them while the process holding most durable subscriptions is killed twice. Each process
// logs every handler call (at debug level), so calls are counted across processes, not only effects;
// analytics' effects, which commit with its inbox rows, count its handling where a killed process's lines cannot.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';

const BASE_URL = process.env.WEFT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ADMIN_PASSWORD = 'cluster-test-admin';
const PASSWORD = 'correct horse battery';
/** The analytics system's durable subscription: it takes every event. */
const ANALYTICS = 'analytics.tally';

interface LogLine {
  readonly level?: number;
  readonly msg?: string;
  readonly subscription?: string;
  readonly events?: readonly string[];
}

/** One `weft serve` process: its URL once listening, and every log line it wrote. */
class ServeProcess {
  readonly lines: LogLine[] = [];
  readonly listening: Promise<string>;
  readonly child: ChildProcess;
  killed = false;

  constructor(databaseUrl: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      env: {
        ...process.env,
        PORT: '0',
        WEFT_DATABASE_URL: databaseUrl,
        WEFT_ADMIN_PASSWORD: ADMIN_PASSWORD,
        WEFT_LOG_LEVEL: 'debug',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    this.child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    this.listening = new Promise((resolve, reject) => {
      createInterface({ input: this.child.stdout! }).on('line', (text) => {
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch (error) {
          // Killed in the middle of a write, a process leaves the start of its last line.
          if (this.killed) return;
          throw error;
        }
        this.lines.push(line);
        const url = /^Server listening at (http:\/\/127\.0\.0\.1:\d+)$/.exec(line.msg ?? '')?.[1];
        if (url !== undefined) resolve(url);
      });
      this.child.once('exit', (code) => reject(new Error(`weft serve exited with ${String(code)}: ${stderr}`)));
    });
  }

  /** How many durable subscriptions this process holds now, by its own log. */
  held(): number {
    const holding = new Set<string>();
    for (const line of this.lines) {
      if (line.subscription === undefined) continue;
      if (line.msg?.startsWith('took the subscription') === true) holding.add(line.subscription);
      if (line.msg === 'lost the subscription lease') holding.delete(line.subscription);
    }
    return holding.size;
  }

  /** Every handler call this process logged: subscription and event id. */
  calls(): Array<{ subscription: string; event: string }> {
    return this.lines.flatMap((line) =>
      line.msg === 'handler called' && line.subscription !== undefined
        ? (line.events ?? []).map((event) => ({ subscription: line.subscription ?? '', event }))
        : [],
    );
  }

  kill(): Promise<void> {
    this.killed = true;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    return exited;
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.killed) return Promise.resolve();
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    return exited;
  }
}

async function call(url: string, method: string, path: string, token?: string, body?: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function json<T>(response: Response, path: string): Promise<T> {
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((resolve) => setTimeout(resolve, 100))) {
    const value = await probe();
    if (value !== undefined) return value;
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.runIf(process.env.CI === 'true' || (await postgresAvailableForTests()))(
  'three weft serve processes on one PostgreSQL',
  () => {
    const database = `weft_cluster_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const databaseUrl = `${BASE_URL.replace(/\/[^/]*$/, '')}/${database}`;
    const processes: ServeProcess[] = [];
    let sql: pg.Client;

    beforeAll(async () => {
      const admin = new pg.Client({ connectionString: BASE_URL });
      await admin.connect();
      await admin.query(`create database ${database}`);
      await admin.end();
      sql = new pg.Client({ connectionString: databaseUrl });
      await sql.connect();
    });

    afterAll(async () => {
      await Promise.all(processes.map((running) => running.stop()));
      await sql.end();
      const admin = new pg.Client({ connectionString: BASE_URL });
      await admin.connect();
      await admin.query(`drop database if exists ${database} with (force)`);
      await admin.end();
    });

    it(
      'handles every event once across them while the holder of the subscriptions is killed twice',
      { timeout: 240_000 },
      async () => {
        const start = async (): Promise<ServeProcess> => {
          const started = new ServeProcess(databaseUrl);
          processes.push(started);
          await started.listening;
          return started;
        };
        // The first alone: it applies the migrations and makes the admin; then two more.
        await start();
        await Promise.all([start(), start()]);
        const alive = () => processes.filter((running) => !running.killed);
        let turn = 0;
        /** The next live process's URL: requests go round the cluster. */
        const next = async () => {
          const live = alive();
          const chosen = live[turn++ % live.length];
          if (chosen === undefined) throw new Error('no process alive');
          return chosen.listening;
        };

        // Six players, each registered and acting through whichever process comes next.
        const players: Array<{ token: string; character: string }> = [];
        for (let n = 0; n < 6; n++) {
          const username = `player_${n}`;
          await json(
            await call(await next(), 'POST', '/auth/register', undefined, { username, password: PASSWORD }),
            'register',
          );
          const { accessToken } = await json<{ accessToken: string }>(
            await call(await next(), 'POST', '/auth/login', undefined, { username, password: PASSWORD }),
            'login',
          );
          const character = await json<{ id: string }>(
            await call(await next(), 'POST', '/characters', accessToken, { name: `Hero ${n}`, class: 'warrior' }),
            'create character',
          );
          players.push({ token: accessToken, character: character.id });
        }
        // Wallets open from `character.created`, delivered by whichever process holds economy's subscription.
        for (const player of players) {
          await until('a wallet', async () => {
            const response = await call(await next(), 'GET', `/characters/${player.character}/wallet`, player.token);
            const wallet = await json<{ status?: string }>(response, 'wallet');
            return wallet.status === 'opening' ? undefined : true;
          });
        }

        const killHolder = async () => {
          // After a kill the others take the subscriptions over once its lease runs out: the next holder is whoever
          // has taken them (waited for by what the processes log, not by a guess of how long the rounds take).
          const holder = await until('a live process holding subscriptions', () => {
            const most = alive().reduce((best, running) => (running.held() > best.held() ? running : best));
            return Promise.resolve(most.held() > 0 ? most : undefined);
          });
          await holder.kill();
          await start();
        };
        const rounds = 9;
        for (let round = 0; round < rounds; round++) {
          // Killed after work started and while events of it are still being delivered.
          if (round === 3 || round === 6) await killHolder();
          await Promise.all(
            players.map(async (player, n) => {
              const to = players[(n + 1) % players.length];
              if (to === undefined) throw new Error('no receiver');
              const path = `/characters/${player.character}`;
              await json(
                await call(await next(), 'POST', `${path}/market/buy`, player.token, { itemId: 'herb', quantity: 1 }),
                'buy',
              );
              await json(
                await call(await next(), 'POST', `${path}/market/sell`, player.token, { itemId: 'herb', quantity: 1 }),
                'sell',
              );
              await json(
                await call(await next(), 'POST', `${path}/transfer`, player.token, {
                  toCharacterId: to.character,
                  gold: 1,
                }),
                'transfer',
              );
            }),
          );
        }

        // Analytics takes every event: once its inbox holds each one, everything published was delivered to it.
        const count = async (query: string): Promise<number> =>
          Number((await sql.query<{ n: string }>(query)).rows[0]?.n ?? 0);
        const published = await count('select count(*) as n from weft_event_log');
        await until('analytics to see every event', async () => {
          const seen = await count("select count(*) as n from weft_event_inbox where subscription like 'analytics.%'");
          return seen >= published ? true : undefined;
        });
        // Then until no subscription moves any more.
        let before = -1;
        await until('delivery to settle', async () => {
          const now = await count('select count(*) as n from weft_event_inbox');
          const settled = now === before;
          before = now;
          await new Promise((resolve) => setTimeout(resolve, 1500));
          return settled ? true : undefined;
        });

        // Every handler call, from every process, killed or alive.
        const callers = new Map<string, ServeProcess[]>();
        for (const running of processes) {
          for (const { subscription, event } of running.calls()) {
            const key = `${subscription} ${event}`;
            callers.set(key, [...(callers.get(key) ?? []), running]);
          }
        }
        // Each handled event has its inbox row: nothing called was lost, nothing committed went uncalled.
        const inbox = await sql.query<{ subscription: string; event_id: string }>(
          'select subscription, event_id from weft_event_inbox where event_id not in (select event_id from weft_dead_letters)',
        );
        expect(inbox.rows.length).toBeGreaterThan(published);
        const committed = new Set(inbox.rows.map((row) => `${row.subscription} ${row.event_id}`));
        // A call's line is logged before its handler runs, but pino writes it to the pipe later, from a buffer that a
        // SIGKILL takes with it: a process killed just after a commit may leave that call without a line (what reaches
        // the pipe is the start of what it logged). Analytics, the one subscription the rounds' events go to, so the
        // one delivering at a kill, is counted by its effects below instead; the others handled their events before
        // the rounds, and the lines logged since reached the pipe after theirs.
        expect([...committed].filter((key) => !callers.has(key) && !key.startsWith(`${ANALYTICS} `))).toEqual([]);
        expect([...callers.keys()].filter((key) => !committed.has(key))).toEqual([]);
        // Analytics counts each event in the transaction that commits its inbox row: its counts are its calls that
        // committed, whichever process made them, killed or not. Each event counted once: none lost, none twice.
        const { rows: tallied } = await sql.query<{ type: string; n: string }>(
          'select type, sum(count) as n from analytics_event_counts group by type order by type',
        );
        const { rows: logged } = await sql.query<{ type: string; n: string }>(
          'select type, count(*) as n from weft_event_log group by type order by type',
        );
        expect(tallied.map(({ type, n }) => [type, Number(n)])).toEqual(logged.map(({ type, n }) => [type, Number(n)]));
        // Called twice only where a killed process's call never committed (for analytics, proven by its counts); never
        // by two live holders.
        const twice = [...callers.entries()].filter(([, by]) => by.length > 1);
        expect(twice.filter(([, by]) => by.filter((running) => !running.killed).length > 1)).toEqual([]);
        expect(twice.every(([, by]) => by.some((running) => running.killed))).toBe(true);
        // Per partition key, each subscription committed its events in log order, across the takeovers.
        const { rows: order } = await sql.query<{ subscription: string; key: string; seq: string; at: string }>(
          `select i.subscription, l.partition_key as key, l.seq, i.handled_at as at
         from weft_event_inbox i join weft_event_log l on l.id = i.event_id
        where l.partition_key is not null order by i.subscription, l.partition_key, i.handled_at, l.seq`,
        );
        const last = new Map<string, number>();
        const outOfOrder = order.filter((row) => {
          const key = `${row.subscription} ${row.key}`;
          const previous = last.get(key) ?? 0;
          last.set(key, Number(row.seq));
          return Number(row.seq) < previous;
        });
        expect(outOfOrder).toEqual([]);
        expect(await count('select count(*) as n from weft_dead_letters')).toBe(0);

        // The books balance across the whole cluster.
        const { accessToken: adminToken } = await json<{ accessToken: string }>(
          await call(await next(), 'POST', '/auth/login', undefined, { username: 'admin', password: ADMIN_PASSWORD }),
          'admin login',
        );
        const audit = await json<{ balanced: boolean }>(
          await call(await next(), 'GET', '/admin/economy/audit', adminToken),
          'audit',
        );
        expect(audit.balanced).toBe(true);
        expect(processes.filter((running) => running.killed)).toHaveLength(2);
        // What the killed processes held, the live ones take over: every subscription comes to have a live holder. A
        // subscription whose events stopped coming is taken once the dead holder's lease ran out, at the next poll,
        // which may come after delivery settled: waited for by what the live processes log.
        const subscriptions = await count('select count(*) as n from weft_event_cursors');
        const liveHeld = () => alive().reduce((sum, running) => sum + running.held(), 0);
        await until('the live processes to hold every subscription', () =>
          Promise.resolve(liveHeld() === subscriptions ? true : undefined),
        );
        expect(liveHeld()).toBe(subscriptions);
      },
    );
  },
);
