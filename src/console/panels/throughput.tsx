import { Chart } from '../chart.js';
import type { Api } from '../api.js';
import type { ThroughputSample } from '../types.js';
import { usePolling } from '../use-polling.js';

/** Throughput: events/s, delivery lag and handler p99 over the last minutes, from the server's own sampler. */
export function ThroughputPanel(props: { readonly api: Api }) {
  const { data, error } = usePolling<{ intervalMs: number; samples: ThroughputSample[] }>(
    props.api,
    '/admin/metrics/recent',
    5000,
  );
  const samples = data?.samples ?? [];
  const times = samples.map((s) => Date.parse(s.at) / 1000);
  return (
    <div>
      {error !== undefined && <p class="error">{error}</p>}
      <p>
        {samples.length} samples, one every {(data?.intervalMs ?? 0) / 1000} s (this server process’s own metrics).
      </p>
      <Chart
        title="Events per second"
        times={times}
        series={[
          { label: 'published/s', color: '#1565c0', values: samples.map((s) => s.eventsPerSecond) },
          { label: 'handled/s', color: '#2e7d32', values: samples.map((s) => s.deliveriesPerSecond) },
        ]}
      />
      <Chart
        title="Delivery lag (ms)"
        times={times}
        series={[{ label: 'oldest unhandled', color: '#ef6c00', values: samples.map((s) => s.deliveryLagMs) }]}
      />
      <Chart
        title="Handler p99 (ms)"
        times={times}
        series={[{ label: 'p99', color: '#6a1b9a', values: samples.map((s) => s.handlerP99Ms ?? null) }]}
      />
    </div>
  );
}
