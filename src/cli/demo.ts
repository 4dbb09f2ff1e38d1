import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, MonitoringManager } from '../integration/internal.js';
import { readServeConfig, startServer, type RunningServer } from '../server/index.js';
import { DemoClient, DemoStepError } from './demo-client.js';
import { playSession, type SessionNames } from './demo-session.js';
import { TraceAnswer, formatTrace } from './demo-trace.js';

const Tokens = z.looseObject({ accessToken: z.string().min(1) });
const Audit = z.looseObject({
  balanced: z.boolean(),
  wallets: z.int(),
  ledgerSum: z.int(),
  mismatches: z.array(z.unknown()),
});

/** Where the demo plays: a server of its own, started in this process, or one at a URL. */
export interface DemoTarget {
  readonly url: string;
  /** Where the "admin" account is, for messages: `the server at URL`, `the database of WEFT_DATABASE_URL`. */
  readonly adminOf: string;
  /** The "admin" account's password; undefined when the database had that account already and no password was set. */
  readonly adminPassword: string | undefined;
  /** The password this start gave the new "admin" account of a database that outlives the demo: shown once. */
  readonly generatedAdminPassword?: string | undefined;
  /** Whether the database is new: the players can then be plain Ann and Bob. */
  readonly fresh: boolean;
  close(): Promise<void>;
}

/** What `weft demo` is told on its command line (checked there: `url` is an http(s) URL). */
export interface DemoOptions {
  readonly url?: string;
}

/**
 * `weft demo [--url URL]`: plays a scripted session over the public HTTP API, one line per step, then shows the causal
 * tree of one craft and the economy audit. The admin signs in first, so a password that is not the admin's stops the
 * demo before it writes a player (a ConfigError naming WEFT_ADMIN_PASSWORD). Resolves to 0 when every step did what
 * it should and the audit balances, else 1 (the failing step named on stderr).
 */
export async function demo(
  options: DemoOptions,
  env: Readonly<Record<string, string | undefined>>,
  out: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<number> {
  const target = options.url === undefined ? await startDemoServer(env) : remoteTarget(options.url, env);
  try {
    out(`weft demo against ${target.url}`);
    if (target.generatedAdminPassword !== undefined)
      out(
        `made the admin account "admin" of WEFT_DATABASE_URL with the password ${target.generatedAdminPassword} (shown once; set WEFT_ADMIN_PASSWORD to choose it)`,
      );
    const client = new DemoClient(target.url);
    const token = await adminSignsIn(client, target);
    const suffix = target.fresh ? '' : ` ${randomBytes(3).toString('hex')}`;
    const names: SessionNames = { ann: `Ann${suffix}`, bob: `Bob${suffix}` };
    const { craftRequestId } = await playSession(client, names, out);
    const trace = await client.call({
      step: 'trace of the sword craft',
      method: 'GET',
      path: `/admin/trace/${encodeURIComponent(craftRequestId)}`,
      token,
      expect: 200,
      schema: TraceAnswer,
    });
    if (!trace.body.events.some((event) => event.type === 'crafting.item_crafted'))
      throw new DemoStepError('trace of the sword craft', 'the trace holds no crafting.item_crafted event');
    for (const line of formatTrace(trace.body)) out(line);
    const audit = await client.call({
      step: 'economy audit',
      method: 'GET',
      path: '/admin/economy/audit',
      token,
      expect: 200,
      schema: Audit,
    });
    const { balanced, wallets, ledgerSum, mismatches } = audit.body;
    out(`economy audit: balanced: ${balanced} (${wallets} wallets, ledger sum ${ledgerSum})`);
    if (!balanced)
      throw new DemoStepError(
        'economy audit',
        `the economy is not balanced: ${JSON.stringify(mismatches).slice(0, 500)}`,
      );
    out('demo done: every step did what it should');
    return 0;
  } catch (error) {
    if (!(error instanceof DemoStepError)) throw error;
    process.stderr.write(`demo failed: ${error.message}\n`);
    return 1;
  } finally {
    await target.close();
  }
}

/**
 * The admin's access token, for the trace and the audit at the end: asked for before the session plays, so a password
 * that is not the admin's stops the demo before it writes anything. The token lives 15 minutes, longer than a session.
 */
async function adminSignsIn(client: DemoClient, { adminOf, adminPassword: password }: DemoTarget): Promise<string> {
  if (password === undefined)
    throw new ConfigError(
      `The "admin" account of ${adminOf} exists already, and the demo does not know its password: set WEFT_ADMIN_PASSWORD to it. Nothing was played.`,
    );
  try {
    const admin = await client.call({
      step: 'admin signs in',
      method: 'POST',
      path: '/auth/login',
      body: { username: 'admin', password },
      expect: 200,
      schema: Tokens,
    });
    return admin.body.accessToken;
  } catch (error) {
    if (error instanceof DemoStepError && error.details.status === 401)
      throw new ConfigError(
        `WEFT_ADMIN_PASSWORD is not the password of the "admin" account of ${adminOf} (sign-in answered 401): set it to the password of that account. Nothing was played.`,
        { cause: error },
      );
    throw error;
  }
}

/** A server at a URL: its admin's password is WEFT_ADMIN_PASSWORD (the trace and the audit are admin routes). */
function remoteTarget(url: string, env: Readonly<Record<string, string | undefined>>): DemoTarget {
  const adminPassword = env.WEFT_ADMIN_PASSWORD;
  if (adminPassword === undefined)
    throw new ConfigError('weft demo --url needs WEFT_ADMIN_PASSWORD: the password of that server\'s "admin" account.');
  return { url, adminOf: `the server at ${url}`, adminPassword, fresh: false, close: () => Promise.resolve() };
}

/**
 * The game server, started here on loopback: on WEFT_DATABASE_URL when set, else on a new SQLite file in a temporary
 * folder (removed at the end). The admin's password is WEFT_ADMIN_PASSWORD, else the one the server chooses when it
 * makes the account; on a database whose "admin" exists already and without WEFT_ADMIN_PASSWORD, it is unknown.
 */
export async function startDemoServer(env: Readonly<Record<string, string | undefined>>): Promise<DemoTarget> {
  const folder = env.WEFT_DATABASE_URL === undefined ? await mkdtemp(join(tmpdir(), 'weft-demo-')) : undefined;
  let server: RunningServer;
  try {
    const config = readServeConfig({
      ...env,
      PORT: '0',
      HOST: '127.0.0.1',
      WEFT_LOG_LEVEL: env.WEFT_LOG_LEVEL ?? 'error',
      ...(folder === undefined ? {} : { WEFT_DATABASE_URL: `sqlite:${join(folder, 'demo.db')}` }),
    });
    server = await startServer(config, new MonitoringManager({ logger: { level: config.logLevel } }));
  } catch (error) {
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
    throw error;
  }
  return {
    url: server.url,
    adminOf: folder === undefined ? 'the database of WEFT_DATABASE_URL' : 'the demo database',
    adminPassword: env.WEFT_ADMIN_PASSWORD ?? server.generatedAdminPassword,
    // A temporary database's password is of no use once the demo ends.
    generatedAdminPassword: folder === undefined ? server.generatedAdminPassword : undefined,
    fresh: folder !== undefined,
    close: async () => {
      await server.close();
      if (folder !== undefined) await rm(folder, { recursive: true, force: true });
    },
  };
}
