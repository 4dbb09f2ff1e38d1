import type { Logger } from 'pino';
import type { WeftMetrics } from '../monitoring/internal.js';
import type { StateChange } from './types.js';

/** A callback for committed changes. */
export type ChangeCallback = (change: StateChange) => unknown;

/**
 * The callbacks that run after a transaction ends: each on its own, with a timeout; one that
 * throws or runs late is logged and counted and touches neither the others nor the transaction.
 */
export class StateCallbacks {
  readonly #bySystem = new Map<string, Set<ChangeCallback>>();
  readonly #timeoutMs: number;
  readonly #logger: Logger;
  readonly #metrics: WeftMetrics | undefined;
  /** Failure times by system, for the status' "callbacks failing" in the last minute. */
  readonly #failures = new Map<string, number[]>();

  constructor(options: { timeoutMs: number; logger: Logger; metrics: WeftMetrics | undefined }) {
    this.#timeoutMs = options.timeoutMs;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
  }

  /**
   * Calls `callback` for each committed change of `system` (`'*'`: of every system); returns the function that stops
   * it.
   */
  onChange(system: string, callback: ChangeCallback): () => void {
    let set = this.#bySystem.get(system);
    if (set === undefined) this.#bySystem.set(system, (set = new Set()));
    set.add(callback);
    return () => void set.delete(callback);
  }

  /** Runs the change callbacks of these committed changes; resolves when all have finished or timed out. */
  async changed(changes: readonly StateChange[]): Promise<void> {
    const runs: Array<Promise<void>> = [];
    for (const change of changes) {
      for (const callback of [...(this.#bySystem.get(change.system) ?? []), ...(this.#bySystem.get('*') ?? [])]) {
        runs.push(this.run(change.system, 'onChange', () => callback(change)));
      }
    }
    await Promise.all(runs);
  }

  /** Runs one callback isolated and bounded in time; never rejects. */
  async run(system: string, kind: string, callback: () => unknown): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let late = false;
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          late = true;
          reject(new Error(`${kind} callback took more than ${this.#timeoutMs} ms`));
        }, this.#timeoutMs);
      });
      await Promise.race([Promise.resolve().then(callback), deadline]);
      this.#metrics?.stateCallbacks.inc({ system, callback: kind, outcome: 'ok' });
    } catch (error) {
      this.#metrics?.stateCallbacks.inc({ system, callback: kind, outcome: late ? 'timeout' : 'error' });
      const times = this.#failures.get(system) ?? [];
      times.push(Date.now());
      this.#failures.set(system, times.slice(-1000));
      this.#logger.error({ err: error, system, callback: kind }, 'state callback failed');
    } finally {
      clearTimeout(timer);
    }
  }

  /** Callback failures of `system` in the last minute. */
  failingRecently(system: string): number {
    const since = Date.now() - 60_000;
    return (this.#failures.get(system) ?? []).filter((time) => time >= since).length;
  }
}
