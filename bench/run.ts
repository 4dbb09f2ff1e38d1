import { Bench } from 'tinybench';
import { postgresTestUrl } from '../src/integration/testing/index.js';
import { postgresInsert, sqliteInsert } from './database.bench.js';
import { durableEndToEndSuite, durablePublishSuite, volatileEventsSuite } from './events.bench.js';
import { monitoringSuite } from './monitoring.bench.js';
import { validationSuite } from './validation.bench.js';
import type { BenchSuite } from './suite.js';

/**
 * `npm run bench`: every suite runs its peers in this same process, then prints each task's
 * throughput and the ratios of mean latency (task / baseline; lower is better).
 * BENCH_TIME_MS sets how long each task runs (default 2000).
 */
const timeMs = Number(process.env.BENCH_TIME_MS ?? 2000);
const all: Record<string, () => Promise<BenchSuite>> = {
  database: sqliteInsert,
  postgres: () => postgresInsert(postgresTestUrl()),
  validation: validationSuite,
  monitoring: monitoringSuite,
  events: volatileEventsSuite,
  'durable-events': durablePublishSuite,
  'durable-e2e': durableEndToEndSuite,
};
// `npm run bench -- validation` runs only the suites named.
const chosen = process.argv.slice(2);
const suites = Object.entries(all)
  .filter(([name]) => chosen.length === 0 || chosen.includes(name))
  .map(([, open]) => open);
let missed = 0;

for (const open of suites) {
  const suite = await open();
  try {
    const bench = new Bench({ name: suite.name, time: timeMs, warmupTime: Math.min(500, timeMs / 4) });
    for (const [name, fn] of Object.entries(suite.tasks)) bench.add(name, fn);
    await (suite.around ? suite.around(() => bench.run()) : bench.run());
    const mean = new Map<string, number>();
    process.stdout.write(`\n## ${suite.name}\n\n| task | ops/s | mean µs | p99 µs |\n|---|---:|---:|---:|\n`);
    for (const task of bench.tasks) {
      const result = task.result;
      if (result.state !== 'completed') throw new Error(`${task.name} did not complete: ${result.state}`);
      mean.set(task.name, result.latency.mean);
      process.stdout.write(
        `| ${task.name} | ${Math.round(1000 / result.latency.mean)} | ${(result.latency.mean * 1000).toFixed(1)} | ${((result.latency.p99 ?? 0) * 1000).toFixed(1)} |\n`,
      );
    }
    process.stdout.write(`\n| ratio | value | target |\n|---|---:|---:|\n`);
    for (const ratio of suite.ratios) {
      const value = (mean.get(ratio.task) ?? NaN) / (mean.get(ratio.baseline) ?? NaN);
      let verdict = '';
      if (ratio.target !== undefined) verdict = value <= ratio.target ? `<= ${ratio.target} met` : `<= ${ratio.target} MISSED`;
      if (ratio.atLeast !== undefined) verdict = value >= ratio.atLeast ? `>= ${ratio.atLeast} met` : `>= ${ratio.atLeast} MISSED`;
      if (verdict.endsWith('MISSED')) missed++;
      process.stdout.write(`| ${ratio.label} | ${value.toFixed(2)}x | ${verdict} |\n`);
    }
  } finally {
    await suite.close();
  }
}
process.stdout.write(`\n${missed === 0 ? 'All targets met.' : `${missed} target(s) missed.`}\n`);
