import { ConfigError, TimeoutError } from '../errors/internal.js';

/** What a check may answer besides "up": working, but worse than it should (a lagging consumer). */
export interface Degraded {
  readonly status: 'degraded';
  readonly detail: string;
}

/** One thing readiness depends on: the database, later the event transport and consumer lag. */
export interface HealthCheck {
  readonly name: string;
  /** Resolves (up), resolves with `{ status: 'degraded', detail }`, or throws (down). */
  check(): Promise<void | Degraded>;
  /** How long the check may take before it counts as down. Default 2000. */
  readonly timeoutMs?: number;
}

/** What one check found. */
export interface CheckResult {
  readonly status: 'up' | 'degraded' | 'down';
  readonly durationMs: number;
  readonly detail?: string;
  readonly error?: string;
}

/** The health of the process: `down` if any check is down, else `degraded` if any is, else `up`. */
export interface HealthReport {
  readonly status: 'up' | 'degraded' | 'down';
  readonly checks: Readonly<Record<string, CheckResult>>;
}

/** The checks every part registers; a name registered twice is an error. */
export class HealthChecks {
  readonly #checks = new Map<string, HealthCheck>();

  register(check: HealthCheck): void {
    if (this.#checks.has(check.name))
      throw new ConfigError(`A health check named "${check.name}" is registered already.`);
    this.#checks.set(check.name, check);
  }

  /** Runs every check at once, each under its own timeout; never throws. */
  run(): Promise<HealthReport> {
    return runHealthChecks([...this.#checks.values()]);
  }
}

/** Runs the given checks at once, each under its own timeout; never throws. */
export async function runHealthChecks(checks: readonly HealthCheck[]): Promise<HealthReport> {
  const results = await Promise.all(checks.map(async (check) => [check.name, await runOne(check)] as const));
  const statuses = new Set(results.map(([, result]) => result.status));
  return {
    status: statuses.has('down') ? 'down' : statuses.has('degraded') ? 'degraded' : 'up',
    checks: Object.fromEntries(results),
  };
}

async function runOne(check: HealthCheck): Promise<CheckResult> {
  const timeoutMs = check.timeoutMs ?? 2000;
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const outcome = await Promise.race([
      check.check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new TimeoutError(`${check.name} check took longer than ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
    return outcome === undefined
      ? { status: 'up', durationMs: elapsed(started) }
      : { status: 'degraded', durationMs: elapsed(started), detail: outcome.detail };
  } catch (error) {
    return {
      status: 'down',
      durationMs: elapsed(started),
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    clearTimeout(timer);
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}
