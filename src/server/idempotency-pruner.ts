import type { Integration, MonitoringManager } from '../integration/internal.js';

/** The server's job that forgets old idempotency keys. */
export interface IdempotencyPruner {
  /** Stops scheduling and waits for a prune in progress. */
  stop(): Promise<void>;
}

/** How long answers are kept, and how often the pruner looks (default: hourly, or a quarter of a shorter retention). */
export interface IdempotencyPrunerOptions {
  readonly retentionMs: number;
  readonly intervalMs?: number;
}

const HOUR_MS = 3_600_000;

/**
 * Every interval (and once at start), deletes the stored answers of idempotent commands older than the retention
 * (`weft.commands.records.prune`): without it `weft_command_results` grows by one row per keyed request for ever, at
 * whatever rate players send keys. Every process of a deployment may run it: a delete of what another deleted already
 * deletes nothing. A failure is logged and counted (`weft_idempotency_prunes_total{outcome="failed"}`) and the next
 * interval tries again.
 */
export function startIdempotencyPruner(
  weft: Pick<Integration, 'commands'>,
  monitoring: Pick<MonitoringManager, 'logger' | 'metrics'>,
  options: IdempotencyPrunerOptions,
): IdempotencyPruner {
  const logger = monitoring.logger('commands');
  const prunes = monitoring.metrics.counter<'outcome'>({
    name: 'weft_idempotency_prunes_total',
    help: 'Runs of the server’s pruning of stored idempotent answers past their retention, by outcome (ok, failed).',
    labelNames: ['outcome'],
  });
  const removed = monitoring.metrics.counter({
    name: 'weft_idempotency_records_pruned_total',
    help: 'Stored idempotent answers the server deleted past their retention.',
  });
  const intervalMs = options.intervalMs ?? Math.min(HOUR_MS, Math.max(1000, options.retentionMs / 4));
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const prune = async (): Promise<void> => {
    try {
      const count = await weft.commands.records.prune(new Date(Date.now() - options.retentionMs));
      prunes.inc({ outcome: 'ok' });
      removed.inc(count);
      if (count > 0) logger.info({ count, retentionMs: options.retentionMs }, 'pruned old idempotency keys');
    } catch (error) {
      prunes.inc({ outcome: 'failed' });
      logger.error({ err: error }, 'pruning idempotency keys failed; the next run tries again');
    }
  };
  const run = (): void => {
    running = prune().finally(() => {
      running = undefined;
      if (stopped) return;
      timer = setTimeout(run, intervalMs);
      // Never keeps the process alive on its own: closing the server is what ends it.
      timer.unref();
    });
  };
  run();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
