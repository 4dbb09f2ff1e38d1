// Where the time of a transfer benchmark server goes, from its CPU profile:
//   TRANSFER_CPU_PROF=/tmp/prof TRANSFER_PEERS=weft-full npm run bench -- transfer
//   node .bench-build/bench/transfer-profile.js /tmp/prof/CPU.*.cpuprofile
// Only samples after the server was seeded and listening count (the server writes when that was beside the profile).
// Each sample is put in the stage of the code it was running, read from the leaf frame up: Node's own frames
// count for the first stage above them.
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The part of a `.cpuprofile` (V8's CPU profile) read here. */
export interface CpuProfile {
  readonly nodes: ReadonlyArray<{
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string };
    readonly children?: readonly number[];
  }>;
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** The stages of the split, in the order printed. */
export const STAGES = [
  'HTTP',
  'auth',
  'validation',
  'command',
  'SQL',
  'commit',
  'events',
  'logging and metrics',
  'GC',
  'other',
] as const;
export type Stage = (typeof STAGES)[number];

/** The stage of a frame by where its code lives, or undefined for a frame that takes its caller's stage. */
function stageOfFrame(url: string, functionName: string): Stage | undefined {
  if (functionName === '(garbage collector)') return 'GC';
  if (url.includes('/src/game/systems/auth_user/') || url.includes('/node_modules/jose/')) return 'auth';
  if (url.includes('/src/server/request-actor')) return 'auth';
  if (url.includes('/node_modules/zod/') || url.includes('fastify-type-provider-zod') || url.includes('/validation/'))
    return 'validation';
  if (url.includes('/node_modules/kysely/') || url.includes('/integration/database/')) return 'SQL';
  if (url.includes('/integration/events/')) return 'events';
  if (url.includes('/integration/monitoring/') || url.includes('/node_modules/pino') || url.includes('prom-client'))
    return 'logging and metrics';
  if (url.includes('/integration/commands/') || url.includes('/integration/state/') || url.includes('/src/game/'))
    return 'command';
  if (url.includes('/integration/system/')) return 'command';
  if (url.includes('/node_modules/fastify') || url.includes('/node_modules/@fastify/') || url.includes('/src/server/'))
    return 'HTTP';
  if (url.includes('/node_modules/find-my-way/') || url.includes('/node_modules/light-my-request/')) return 'HTTP';
  if (url.startsWith('node:_http') || url.startsWith('node:net') || url.startsWith('node:_stream')) return 'HTTP';
  return undefined;
}

/**
 * The stage of one sample, `stack` leaf first. SQL run from the unit of work itself, with no query of the work above
 * it, is its BEGIN or COMMIT (a commit group's, its savepoints' too): with synchronous=FULL the COMMIT holds the flush
 * to disk and the writing of the WAL, so that is `commit`.
 */
export function stageOfSample(stack: ReadonlyArray<{ functionName: string; url: string }>): Stage {
  const leaf = stack[0];
  if (leaf === undefined) return 'other';
  if (leaf.functionName === '(garbage collector)') return 'GC';
  for (let i = 0; i < stack.length; i++) {
    const frame = stack[i];
    if (frame === undefined) continue;
    const stage = stageOfFrame(frame.url, frame.functionName);
    if (stage === undefined) continue;
    if (stage !== 'SQL') return stage;
    // SQL: a native better-sqlite3 call under the database layer. Commit when the first frame above Kysely and the
    // SQLite backend is the unit of work's own transaction body (an anonymous function in #attempt that sends BEGIN
    // and COMMIT), not its `execute` or `provideConnection`, through which the work's statements go.
    const above = stack
      .slice(i)
      .find((f) => !f.url.includes('/node_modules/kysely/') && !f.url.includes('sqlite-backend'));
    const own = above?.url.includes('/integration/database/unit-of-work') === true && above.functionName === '';
    // A commit group's BEGIN, savepoints and COMMIT are sent by the group itself (commit-group.ts); its members'
    // statements come from their own code above it.
    const group = above?.url.includes('/integration/database/commit-group') === true;
    return own || group ? 'commit' : 'SQL';
  }
  return 'other';
}

/** Per stage, the milliseconds of samples after `fromMicros` (the profile's clock); idle and program time left out. */
export function splitProfile(profile: CpuProfile, fromMicros: number): Map<Stage, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const split = new Map<Stage, number>(STAGES.map((stage) => [stage, 0]));
  let time = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i] ?? 0;
    const id = profile.samples[i];
    const delta = profile.timeDeltas[i + 1] ?? 0;
    if (id === undefined || time < fromMicros) continue;
    const leaf = byId.get(id);
    if (leaf === undefined || leaf.callFrame.functionName === '(idle)' || leaf.callFrame.functionName === '(program)')
      continue;
    const stack: Array<{ functionName: string; url: string }> = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (node !== undefined) stack.push(node.callFrame);
    }
    const stage = stageOfSample(stack);
    split.set(stage, (split.get(stage) ?? 0) + delta / 1000);
  }
  return split;
}

if (process.argv[1] !== undefined && basename(process.argv[1]) === 'transfer-profile.js') {
  for (const file of process.argv.slice(2)) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile
    const pid = basename(file).split('.')[3];
    const ready = JSON.parse(readFileSync(join(dirname(file), `ready-${pid}.json`), 'utf8')) as { readyMicros: number };
    const split = splitProfile(profile, ready.readyMicros);
    const busy = [...split.values()].reduce((sum, ms) => sum + ms, 0);
    process.stdout.write(
      `${file}: ${busy.toFixed(0)} ms on the CPU after the seed\n\n| stage | ms | share |\n|---|---:|---:|\n`,
    );
    for (const [stage, ms] of split)
      process.stdout.write(`| ${stage} | ${ms.toFixed(0)} | ${((100 * ms) / busy).toFixed(1)}% |\n`);
  }
}
