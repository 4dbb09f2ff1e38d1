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
  /** What the check reaches (`PostgreSQL at db:5432/game as weft`); shown to operators only. */
  readonly target?: string;
}

/** What one check found, in full: for operators. */
export interface CheckResult {
  readonly status: 'up' | 'degraded' | 'down';
  readonly durationMs: number;
  readonly target?: string;
  readonly detail?: string;
  readonly error?: string;
}

/** The health of the process: `down` if any check is down, else `degraded` if any is, else `up`. */
export interface HealthReport {
  readonly status: 'up' | 'degraded' | 'down';
  readonly checks: Readonly<Record<string, CheckResult>>;
}

/**
 * What anyone may see of the health: the status, and each check's status. No target, no error or
 * degraded text: those name hosts, users and databases.
 */
export interface PublicHealthReport {
  readonly status: HealthReport['status'];
  readonly checks: Readonly<Record<string, { readonly status: CheckResult['status'] }>>;
}

/** The part of a report anyone may see (status per check), for public health routes. */
export function publicHealthReport(report: HealthReport): PublicHealthReport {
  return {
    status: report.status,
    checks: Object.fromEntries(Object.entries(report.checks).map(([name, { status }]) => [name, { status }])),
  };
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
  const target = check.target === undefined ? {} : { target: check.target };
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
      ? { status: 'up', durationMs: elapsed(started), ...target }
      : { status: 'degraded', durationMs: elapsed(started), ...target, detail: outcome.detail };
  } catch (error) {
    return {
      status: 'down',
      durationMs: elapsed(started),
      ...target,
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    clearTimeout(timer);
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}
