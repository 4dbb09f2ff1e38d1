// The load generator of the transfer benchmark, in a process of its own: reads one LoadPlan line on stdin, runs
// autocannon for the warm-up and then for the measurement (each request a transfer between two accounts drawn with
// the plan's Zipf alpha), and prints one LoadReport line.
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { AMOUNT, type Answers, type LoadPlan, type LoadReport } from './transfer-protocol.js';
import { ZipfSampler } from './transfer-zipf.js';

const plan = await new Promise<LoadPlan>((resolve, reject) => {
  const lines = createInterface({ input: process.stdin });
  lines.once('line', (line) => {
    resolve(JSON.parse(line) as LoadPlan);
    lines.close();
  });
  lines.once('close', () => reject(new Error('transfer-load: no plan on stdin')));
});
const sampler = new ZipfSampler(plan.accounts, plan.alpha);

/** The path, headers and body of one transfer between two accounts drawn from the sampler. */
function nextTransfer(): { path: string; headers: Record<string, string>; body: string } {
  const [from, to] = sampler.pair();
  const game = plan.game;
  if (plan.route === 'plain' || game === undefined) {
    return {
      path: '/transfer',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from, to, amount: AMOUNT }),
    };
  }
  return {
    path: `/characters/${game.characterIds[from] ?? ''}/transfer`,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${game.tokens[game.owners[from] ?? -1] ?? ''}`,
      'idempotency-key': randomUUID(),
    },
    body: JSON.stringify({ toCharacterId: game.characterIds[to], gold: AMOUNT }),
  };
}

/**
 * Requests built (each is sent at once) and answers by status, over both runs. Counted here rather than read from
 * autocannon's result, which is taken when the time is up while the last answers still arrive and each one sends a
 * request more: the check needs every request the server may have seen.
 */
let built = 0;
const answeredByStatus = new Map<number, number>();

/** The answers of `statuses` sorted by kind; `sent` requests of which the rest were cut unanswered. */
function sort(statuses: Iterable<readonly [status: number, count: number]>, errors: number, sent: number): Answers {
  let ok = 0;
  let conflicts = 0;
  let answered = 0;
  const other: Record<string, number> = {};
  for (const [status, count] of statuses) {
    answered += count;
    if (status >= 200 && status < 300) ok += count;
    else if (status === 409) conflicts += count;
    else other[String(status)] = (other[String(status)] ?? 0) + count;
  }
  return { ok, conflicts, other, errors, unanswered: Math.max(0, sent - answered) };
}

/** One autocannon run of `seconds`: its result, and its answers as autocannon counted them by the end of the time. */
async function run(seconds: number): Promise<{ answers: Answers; result: autocannon.Result }> {
  const result = await autocannon({
    url: plan.url,
    connections: plan.connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          built++;
          return { ...request, ...nextTransfer() };
        },
        onResponse: (status) => {
          answeredByStatus.set(status, (answeredByStatus.get(status) ?? 0) + 1);
        },
      },
    ],
  });
  const statuses = Object.entries(result.statusCodeStats ?? {}).map(
    ([status, stats]) => [Number(status), stats.count ?? 0] as const,
  );
  return { answers: sort(statuses, result.errors, result.requests.sent), result };
}

const warmup = await run(plan.warmupSeconds);
const measured = await run(plan.measureSeconds);
const report: LoadReport = {
  measured: {
    ...measured.answers,
    seconds: measured.result.duration,
    p50Ms: measured.result.latency.p50,
    p99Ms: measured.result.latency.p99,
  },
  total: sort(answeredByStatus, warmup.answers.errors + measured.answers.errors, built),
};
process.stdout.write(`${JSON.stringify(report)}\n`);
