import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
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
  readonly adminPassword: string;
  /** Whether the database is new: the players can then be plain Ann and Bob. */
  readonly fresh: boolean;
  close(): Promise<void>;
}

/**
 * `weft demo [--url URL]`: plays a scripted session over the public HTTP API, one line per step, then shows the causal
 * tree of one craft and the economy audit. Resolves to 0 when every step did what it should and the audit balances,
 * else 1 (the failing step named on stderr).
 */
export async function demo(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  out: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: { url: { type: 'string' } }, allowPositionals: false });
  const target = values.url === undefined ? await startDemoServer(env) : remoteTarget(values.url, env);
  try {
    out(`weft demo against ${target.url}`);
    const client = new DemoClient(target.url);
    const suffix = target.fresh ? '' : ` ${randomBytes(3).toString('hex')}`;
    const names: SessionNames = { ann: `Ann${suffix}`, bob: `Bob${suffix}` };
    const { craftRequestId } = await playSession(client, names, out);
    const admin = await client.call({
      step: 'admin signs in',
      method: 'POST',
      path: '/auth/login',
      body: { username: 'admin', password: target.adminPassword },
      expect: 200,
      schema: Tokens,
    });
    const token = admin.body.accessToken;
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

/** A server at a URL: its admin's password is WEFT_ADMIN_PASSWORD (the trace and the audit are admin routes). */
function remoteTarget(url: string, env: Readonly<Record<string, string | undefined>>): DemoTarget {
  if (!/^https?:\/\/\S+$/.test(url))
    throw new ConfigError(`--url must be an http(s) URL; received ${JSON.stringify(url)}.`);
  const adminPassword = env.WEFT_ADMIN_PASSWORD;
  if (adminPassword === undefined)
    throw new ConfigError('weft demo --url needs WEFT_ADMIN_PASSWORD: the password of that server\'s "admin" account.');
  return { url, adminPassword, fresh: false, close: () => Promise.resolve() };
}

/**
 * The game server, started here on loopback: on WEFT_DATABASE_URL when set, else on a new SQLite file in a temporary
 * folder (removed at the end). The admin's password is WEFT_ADMIN_PASSWORD, else one chosen now.
 */
export async function startDemoServer(env: Readonly<Record<string, string | undefined>>): Promise<DemoTarget> {
  const folder = env.WEFT_DATABASE_URL === undefined ? await mkdtemp(join(tmpdir(), 'weft-demo-')) : undefined;
  const adminPassword = env.WEFT_ADMIN_PASSWORD ?? randomBytes(18).toString('base64url');
  let server: RunningServer;
  try {
    const config = readServeConfig({
      ...env,
      PORT: '0',
      HOST: '127.0.0.1',
      WEFT_ADMIN_PASSWORD: adminPassword,
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
    adminPassword,
    fresh: folder !== undefined,
    close: async () => {
      await server.close();
      if (folder !== undefined) await rm(folder, { recursive: true, force: true });
    },
  };
}
