import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresTestUrl } from '../src/integration/testing/index.js';
import { checkRun, type CheckResult } from './transfer-check.js';
import { startChild } from './transfer-process.js';
import {
  ACCOUNTS,
  PEERS,
  type LoadPlan,
  type LoadReport,
  type Peer,
  type ServerReady,
  type Tally,
} from './transfer-protocol.js';
import { transferTargets, type TargetResult } from './transfer-targets.js';
import type { LoadSuite } from './suite.js';

/** Seconds of load before the measurement (keynote-2: 3); TRANSFER_WARMUP_S to change. */
const WARMUP_SECONDS = Number(process.env.TRANSFER_WARMUP_S ?? 3);
/** Seconds measured (keynote-2: 15); TRANSFER_MEASURE_S to change. */
const MEASURE_SECONDS = Number(process.env.TRANSFER_MEASURE_S ?? 15);
/** Concurrent HTTP connections (keynote-2: 50). */
const CONNECTIONS = Number(process.env.TRANSFER_CONNECTIONS ?? 50);
/** Zipf alphas, each measured on every peer: 0 (uniform) and 1.5 (about 80% of draws on a dozen accounts). */
const ALPHAS = (process.env.TRANSFER_ALPHAS ?? '0,1.5').split(',').map(Number);
/** Peers measured, in order; TRANSFER_PEERS (comma-separated) for a subset. */
const CHOSEN = (process.env.TRANSFER_PEERS ?? PEERS.join(',')).split(',') as Peer[];
/** A folder to write each server's CPU profile to (`node --cpu-prof`), when set. */
const CPU_PROFILE_FOLDER = process.env.TRANSFER_CPU_PROF;

/** One peer at one alpha, as the JSON report lists it. */
export interface TransferRun {
  readonly peer: Peer;
  readonly alpha: number;
  /** Transfers done (2xx) per second of the measurement. */
  readonly tps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Answers neither 2xx nor 409, and socket errors, in the measurement. */
  readonly errors: number;
  /** 409s (not enough gold) in the measurement: normal answers, counted apart. */
  readonly conflicts: number;
  /** Whether the check after the run (warm-up and measurement) passed. */
  readonly checked: boolean;
  readonly problems: readonly string[];
}

/** Runs one peer: starts its server, which seeds; then for each alpha a warm-up, a measurement and a check. */
async function measurePeer(peer: Peer, log: (line: string) => void): Promise<TransferRun[]> {
  const folder = await mkdtemp(join(tmpdir(), `weft-bench-transfer-${peer}-`));
  const profiling = CPU_PROFILE_FOLDER === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_FOLDER}`];
  const started = Date.now();
  const server = startChild('transfer-server.js', [peer, folder, postgresTestUrl()], profiling);
  const runs: TransferRun[] = [];
  try {
    const ready = await server.next<ServerReady>();
    const tally = async () => {
      server.send('tally');
      return server.next<Tally>();
    };
    const seeded = await tally();
    log(`${peer}: seeded ${ACCOUNTS} accounts in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const alpha of ALPHAS) {
      const before = await tally();
      const plan: LoadPlan = {
        url: ready.url,
        route: ready.route,
        ...(ready.game === undefined ? {} : { game: ready.game }),
        accounts: ACCOUNTS,
        alpha,
        connections: CONNECTIONS,
        warmupSeconds: WARMUP_SECONDS,
        measureSeconds: MEASURE_SECONDS,
      };
      const load = startChild('transfer-load.js', []);
      load.send(JSON.stringify(plan));
      const report = await load.next<LoadReport>();
      await load.finish();
      const check: CheckResult = checkRun(before, await tally(), report.total, seeded.total);
      const { measured } = report;
      const errors = measured.errors + Object.values(measured.other).reduce((sum, n) => sum + n, 0);
      const run: TransferRun = {
        peer,
        alpha,
        tps: measured.ok / measured.seconds,
        p50Ms: measured.p50Ms,
        p99Ms: measured.p99Ms,
        errors,
        conflicts: measured.conflicts,
        checked: check.checked,
        problems: check.problems,
      };
      log(
        `${peer} alpha ${alpha}: ${Math.round(run.tps)} transfers/s, p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms, ` +
          `${run.conflicts} x 409, ${run.errors} errors, ${run.checked ? 'checked' : `CHECK FAILED: ${run.problems.join('; ')}`}`,
      );
      runs.push(run);
    }
  } finally {
    await server.finish();
    await rm(folder, { recursive: true, force: true });
  }
  return runs;
}

/** The Markdown report: one row per peer and alpha, then the targets. */
function markdown(runs: readonly TransferRun[], targets: readonly TargetResult[]): string {
  let text =
    `${ACCOUNTS} accounts, ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up, ${MEASURE_SECONDS} s measured, ` +
    `load from autocannon in a separate process; each server in its own process.\n\n` +
    `| peer | alpha | transfers/s | p50 ms | p99 ms | 409s | errors | checked |\n|---|---:|---:|---:|---:|---:|---:|---|\n`;
  for (const run of runs) {
    text +=
      `| ${run.peer} | ${run.alpha} | ${Math.round(run.tps)} | ${run.p50Ms} | ${run.p99Ms} | ${run.conflicts} | ` +
      `${run.errors} | ${run.checked ? 'yes' : `NO: ${run.problems.join('; ')}`} |\n`;
  }
  text += `\n| target | value | verdict |\n|---|---:|---|\n`;
  for (const target of targets) {
    const value = target.unit === 'ms' ? `${target.value.toFixed(1)} ms` : `${target.value.toFixed(2)}x`;
    text += `| ${target.label} | ${value} | ${target.target} ${target.met ? 'met' : 'MISSED'} |\n`;
  }
  return text;
}

/**
 * `npm run bench -- transfer`: SpacetimeDB's keynote-2 workload (a transfer of gold between two accounts drawn with a
 * Zipf distribution) over HTTP against every peer, one after another, each server in its own process and the load
 * from autocannon in another. With `json`, the report is one JSON document `{ runs, ratios }`.
 */
export function transferSuite(options: { readonly json: boolean }): LoadSuite {
  return {
    name: 'transfer: keynote-2 gold transfers over HTTP (SQLite file synchronous=FULL, PostgreSQL, loopback)',
    async run() {
      const unknown = CHOSEN.filter((peer) => !PEERS.includes(peer));
      if (unknown.length > 0)
        throw new Error(`TRANSFER_PEERS names unknown peer(s) ${unknown.join(', ')}; peers: ${PEERS.join(', ')}`);
      const log = (line: string) => process.stderr.write(`transfer: ${line}\n`);
      const runs: TransferRun[] = [];
      for (const peer of PEERS.filter((p) => CHOSEN.includes(p))) runs.push(...(await measurePeer(peer, log)));
      const targets = transferTargets(runs, ALPHAS);
      const missed = targets.filter((t) => !t.met).length + runs.filter((r) => !r.checked).length;
      if (!options.json) return { report: markdown(runs, targets), missed };
      const ratios = Object.fromEntries(targets.map((t) => [t.key, { value: t.value, target: t.target, met: t.met }]));
      return { report: `${JSON.stringify({ runs, ratios }, null, 2)}\n`, missed };
    },
    close: () => Promise.resolve(),
  };
}
