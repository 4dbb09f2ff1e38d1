import { TimeoutError } from '../integration/index.js';

/** One thing readiness depends on: the database, later the event transport and consumer lag. */
export interface HealthCheck {
  readonly name: string;
  /** Resolves when healthy; throws (any error) when not. */
  check(): Promise<void>;
  /** How long the check may take before it counts as down. Default 2000. */
  readonly timeoutMs?: number;
}

/** What one check found. */
export interface CheckResult {
  readonly status: 'up' | 'down';
  readonly durationMs: number;
  readonly error?: string;
}

/** The health of the process: `up` when every check is, `down` otherwise. */
export interface HealthReport {
  readonly status: 'up' | 'down';
  readonly checks: Readonly<Record<string, CheckResult>>;
}

/** Runs every check at once, each under its own timeout, and never throws. */
export async function runHealthChecks(checks: readonly HealthCheck[]): Promise<HealthReport> {
  const results = await Promise.all(checks.map(async (check) => [check.name, await runOne(check)] as const));
  return {
    status: results.every(([, result]) => result.status === 'up') ? 'up' : 'down',
    checks: Object.fromEntries(results),
  };
}

async function runOne(check: HealthCheck): Promise<CheckResult> {
  const timeoutMs = check.timeoutMs ?? 2000;
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check.check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError(`${check.name} check took longer than ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'up', durationMs: elapsed(started) };
  } catch (error) {
    return { status: 'down', durationMs: elapsed(started), error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}
