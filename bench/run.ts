import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { postgresTestUrl } from '../src/integration/testing/index.js';
import { postgresInsert, sqliteInsert } from './database.bench.js';
import { distributedSuite } from './distributed.bench.js';
import { durableEndToEndPostgresSuite } from './events-postgres.bench.js';
import { durableEndToEndSuite, durablePublishSuite, volatileEventsSuite } from './events.bench.js';
import { monitoringSuite } from './monitoring.bench.js';
import { statePostgresConcurrentSuite, statePostgresSuite, stateSqliteSuite } from './state.bench.js';
import { systemFacadeSuite } from './system.bench.js';
import { validationSuite } from './validation.bench.js';
import { craftSuite, httpSuite } from './http.bench.js';
import { transferSuite } from './transfer.bench.js';
import type { BenchSuite, LoadSuite } from './suite.js';

/**
 * `npm run bench`: every suite runs its peers in this same process, then prints each task's
 * throughput and the ratios of mean latency (task / baseline; lower is better).
 * BENCH_TIME_MS sets how long each task runs in a round (default 2000); BENCH_ROUNDS how many
 * rounds (default 3). Rounds run the tasks in alternating order and each task reports its median
 * round, so a machine that speeds up or slows down during the run favours no task.
 */
const timeMs = Number(process.env.BENCH_TIME_MS ?? 2000);
/** The exit code of a suite that failed (rather than missed targets). */
const FAILED = 100;
process.on('uncaughtException', (error) => {
  process.stderr.write(`${error.stack ?? String(error)}\n`);
  process.exit(FAILED);
});
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
// `--json`: a load suite's report is one JSON document, and nothing else goes to stdout.
const json = process.argv.includes('--json');
const all: Record<string, () => Promise<BenchSuite | LoadSuite>> = {
  database: sqliteInsert,
  postgres: () => postgresInsert(postgresTestUrl()),
  validation: validationSuite,
  monitoring: monitoringSuite,
  events: volatileEventsSuite,
  'durable-events': durablePublishSuite,
  'durable-e2e': durableEndToEndSuite,
  'durable-e2e-postgres': () => durableEndToEndPostgresSuite(postgresTestUrl()),
  state: stateSqliteSuite,
  'state-postgres': () => statePostgresSuite(postgresTestUrl()),
  'state-postgres-16': () => statePostgresConcurrentSuite(postgresTestUrl()),
  system: systemFacadeSuite,
  http: () => Promise.resolve(httpSuite()),
  craft: () => Promise.resolve(craftSuite()),
  distributed: () =>
    Promise.resolve(distributedSuite(postgresTestUrl(), process.env.WEFT_TEST_NATS_URL ?? 'nats://127.0.0.1:4222')),
  transfer: () => Promise.resolve(transferSuite({ json })),
};
// `npm run bench -- validation` runs only the suites named.
const chosen = process.argv.slice(2).filter((arg) => arg !== '--json');
const unknown = chosen.filter((name) => !(name in all));
if (unknown.length > 0) {
  process.stderr.write(`Unknown suite(s): ${unknown.join(', ')}. Suites: ${Object.keys(all).join(', ')}.\n`);
  process.exit(2);
}
if (chosen.length !== 1) {
  // Each suite runs in a process of its own (Weft and its peer together in it), so what one suite
  // leaves behind (heap, open databases, timers) never weighs on the next one's figures.
  let missedInAll = 0;
  for (const name of chosen.length === 0 ? Object.keys(all) : chosen) {
    const args = [...process.execArgv, fileURLToPath(import.meta.url), name, ...(json ? ['--json'] : [])];
    const child = spawnSync(process.execPath, args, {
      stdio: 'inherit',
      env: { ...process.env, BENCH_CHILD: '1' },
    });
    if (child.status === null || child.status >= FAILED)
      throw new Error(`Suite ${name} did not finish (${child.signal ?? `exit ${child.status}`}).`);
    missedInAll += child.status;
  }
  if (!json) process.stdout.write(`\n${missedInAll === 0 ? 'All targets met.' : `${missedInAll} target(s) missed.`}\n`);
  process.exit(0);
}
const suites = Object.entries(all)
  .filter(([name]) => chosen.includes(name))
  .map(([, open]) => open);
let missed = 0;

for (const open of suites) {
  const suite = await open();
  if ('run' in suite) {
    try {
      const { report, missed: missedHere } = await suite.run();
      process.stdout.write(json ? report : `\n## ${suite.name}\n\n${report}`);
      missed += missedHere;
    } finally {
      await suite.close();
    }
    continue;
  }
  if (json) throw new Error(`--json is for load suites (transfer); ${suite.name} prints tables.`);
  try {
    const taskNames = Object.keys(suite.tasks);
    const measured = new Map<string, Array<{ mean: number; p99: number }>>(taskNames.map((name) => [name, []]));
    const count = suite.rounds?.count ?? rounds;
    const time = suite.rounds?.timeMs ?? timeMs;
    for (let round = 0; round < count; round++) {
      const bench = new Bench({ name: suite.name, time, warmupTime: Math.min(500, time / 4) });
      for (const name of round % 2 === 0 ? taskNames : [...taskNames].reverse()) {
        const fn = suite.tasks[name];
        if (fn !== undefined) bench.add(name, fn);
      }
      await (suite.around ? suite.around(() => bench.run()) : bench.run());
      for (const task of bench.tasks) {
        const result = task.result;
        if (result.state !== 'completed')
          throw new Error(`${task.name} did not complete: ${result.state}`, {
            cause: (result as { error?: unknown }).error,
          });
        measured.get(task.name)?.push({ mean: result.latency.mean, p99: result.latency.p99 ?? 0 });
      }
    }
    const mean = new Map<string, number>();
    process.stdout.write(`\n## ${suite.name}\n\n| task | ops/s | mean µs | p99 µs |\n|---|---:|---:|---:|\n`);
    for (const [name, results] of measured) {
      const median = [...results].sort((a, b) => a.mean - b.mean)[Math.floor(results.length / 2)];
      if (median === undefined) continue;
      mean.set(name, median.mean);
      process.stdout.write(
        `| ${name} | ${Math.round(1000 / median.mean)} | ${(median.mean * 1000).toFixed(1)} | ${(median.p99 * 1000).toFixed(1)} |\n`,
      );
    }
    process.stdout.write(`\n| ratio | value | target |\n|---|---:|---:|\n`);
    for (const ratio of suite.ratios) {
      const value = (mean.get(ratio.task) ?? NaN) / (mean.get(ratio.baseline) ?? NaN);
      let verdict = '';
      if (ratio.target !== undefined)
        verdict = value <= ratio.target ? `<= ${ratio.target} met` : `<= ${ratio.target} MISSED`;
      if (ratio.atLeast !== undefined)
        verdict = value >= ratio.atLeast ? `>= ${ratio.atLeast} met` : `>= ${ratio.atLeast} MISSED`;
      if (verdict.endsWith('MISSED')) missed++;
      process.stdout.write(`| ${ratio.label} | ${value.toFixed(2)}x | ${verdict} |\n`);
    }
    if (suite.report !== undefined) process.stdout.write(`\n${suite.report()}\n`);
  } finally {
    await suite.close();
  }
}
if (!json) process.stdout.write(`\n${missed === 0 ? 'All targets met.' : `${missed} target(s) missed.`}\n`);
// A parent run sums the missed targets from each suite's exit code.
if (process.env.BENCH_CHILD === '1') process.exitCode = missed;
