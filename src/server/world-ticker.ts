import type { Integration, MonitoringManager } from '../integration/internal.js';

/** The server's world clock job: runs `world_state.tick` every interval until stopped. */
export interface WorldTicker {
  /** Stops scheduling ticks and waits for a running one to finish. */
  stop(): Promise<void>;
}

/** Who runs the scheduled ticks: the same command as `POST /admin/world/tick`, under the server's own name. */
const TICKER = { kind: 'system', id: 'world_ticker' } as const;

/**
 * Runs `world_state.tick` every `intervalMs` (the next tick is scheduled when one ends, so a slow tick never
 * overlaps the next). A failed tick is logged and counted in `weft_world_ticks_total{outcome="failed"}`, and
 * the clock keeps ticking: a busy database at one tick says nothing about the next.
 */
export function startWorldTicker(weft: Integration, monitoring: MonitoringManager, intervalMs: number): WorldTicker {
  const logger = monitoring.logger('world_state');
  const ticks = monitoring.metrics.counter<'outcome'>({
    name: 'weft_world_ticks_total',
    help: 'World clock ticks the server ran on its interval, by outcome (ok, failed).',
    labelNames: ['outcome'],
  });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const tick = async (): Promise<void> => {
    try {
      await weft.execute('world_state.tick', {}, { actor: TICKER });
      ticks.inc({ outcome: 'ok' });
    } catch (error) {
      ticks.inc({ outcome: 'failed' });
      logger.error({ err: error }, 'world tick failed; the next one runs on schedule');
    }
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().finally(() => {
        running = undefined;
        schedule();
      });
    }, intervalMs);
    // The tick never keeps the process alive on its own: closing the server is what ends it.
    timer.unref();
  };
  schedule();
  logger.info({ intervalMs }, 'world clock ticking');

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
