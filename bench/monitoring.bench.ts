import { Histogram, Registry } from 'prom-client';
import { pino } from 'pino';
import { WeftLogger, WeftMetrics, runWithContext } from '../src/integration/internal.js';
import type { BenchSuite } from './suite.js';

/** A log line with 3 fields and a histogram observation with 2 labels, against bare pino and bare prom-client. */
export async function monitoringSuite(): Promise<BenchSuite> {
  const destination = () => pino.destination({ dest: '/dev/null', sync: true });
  const bare = pino(destination());
  const logging = new WeftLogger({ destination: destination(), pretty: false });
  const crafting = logging.forSystem('crafting');

  const registry = new Registry();
  const bareHistogram = new Histogram({
    name: 'bare_handler_duration_ms',
    help: 'x',
    labelNames: ['type', 'subscription'],
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
    registers: [registry],
  });
  const metrics = new WeftMetrics();

  let n = 0;
  return Promise.resolve({
    name: 'monitoring: a log line with 3 fields, a histogram observation with 2 labels',
    tasks: {
      'bare pino, 3 fields': () => bare.info({ recipeId: 'sword', count: ++n, station: 'forge' }, 'item crafted'),
      'Weft logger, 3 fields + context': () =>
        crafting.info({ recipeId: 'sword', count: ++n, station: 'forge' }, 'item crafted'),
      'bare prom-client histogram, 2 labels': () =>
        bareHistogram.observe({ type: 'crafting.item_crafted', subscription: 'quest' }, ++n % 100),
      'Weft histogram, 2 labels': () =>
        metrics.handlerDuration.observe({ type: 'crafting.item_crafted', subscription: 'quest' }, ++n % 100),
    },
    ratios: [
      {
        label: 'Weft logger / bare pino',
        task: 'Weft logger, 3 fields + context',
        baseline: 'bare pino, 3 fields',
        target: 1.3,
      },
      {
        label: 'Weft histogram / bare prom-client',
        task: 'Weft histogram, 2 labels',
        baseline: 'bare prom-client histogram, 2 labels',
        target: 1.3,
      },
    ],
    // Lines are written inside a request context, as in a server, so the context fields are part of what is measured.
    around: (run) =>
      runWithContext(
        {
          correlationId: 'c0ffee00-0000-4000-8000-000000000001',
          causationId: 'evt-1',
          traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        },
        run,
      ),
    close: () => Promise.resolve(),
  });
}
