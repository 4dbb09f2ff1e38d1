import { Chart } from '../chart.js';
import type { Api } from '../api.js';
import type { Audit, EconomyHour } from '../types.js';
import { usePolling } from '../use-polling.js';

const SOURCE_COLORS = ['#2e7d32', '#66bb6a', '#1565c0', '#42a5f5', '#00897b'];
const SINK_COLORS = ['#c62828', '#ef6c00', '#ad1457', '#6d4c41'];

/** Economy: gold supply over time and gold in by source and out by sink per hour, as plots; the audit's result. */
export function EconomyPanel(props: { readonly api: Api }) {
  const history = usePolling<{ hours: EconomyHour[] }>(props.api, '/admin/economy/history?hours=24', 10_000);
  // The audit recomputes every wallet: less often than the plots.
  const audit = usePolling<Audit>(props.api, '/admin/economy/audit', 30_000);
  const hours = history.data?.hours ?? [];
  const times = hours.map((h) => Date.parse(h.hour) / 1000);
  const sources = Object.keys(hours[0]?.sources ?? {});
  const sinks = Object.keys(hours[0]?.sinks ?? {});
  return (
    <div>
      <AuditResult audit={audit.data} error={audit.error} />
      {history.error !== undefined && <p class="error">{history.error}</p>}
      {hours.length > 0 && (
        <>
          <Chart
            title="Gold supply (end of each hour)"
            times={times}
            series={[{ label: 'supply', color: '#b8860b', values: hours.map((h) => h.supply) }]}
          />
          <Chart
            title="Gold in by source, per hour"
            times={times}
            series={sources.map((name, i) => ({
              label: name,
              color: SOURCE_COLORS[i % SOURCE_COLORS.length] ?? '#2e7d32',
              values: hours.map((h) => h.sources[name] ?? 0),
              bars: true,
            }))}
          />
          <Chart
            title="Gold out by sink, per hour"
            times={times}
            series={sinks.map((name, i) => ({
              label: name,
              color: SINK_COLORS[i % SINK_COLORS.length] ?? '#c62828',
              values: hours.map((h) => h.sinks[name] ?? 0),
              bars: true,
            }))}
          />
        </>
      )}
    </div>
  );
}

function AuditResult(props: { readonly audit: Audit | undefined; readonly error: string | undefined }) {
  if (props.error !== undefined) return <p class="error">Audit: {props.error}</p>;
  const { audit } = props;
  if (audit === undefined) return <p>Auditing…</p>;
  return (
    <p class={audit.balanced ? 'audit ok' : 'audit bad'} role="status">
      Audit: {audit.balanced ? 'balanced' : 'NOT balanced'}; {count(audit.wallets, 'wallet')} recomputed from the
      ledger, ledger sum {audit.ledgerSum}
      {audit.mismatches.length > 0 ? `, ${count(audit.mismatches.length, 'mismatched wallet')}` : ''}.
    </p>
  );
}

/** `1 wallet`, `2 wallets`. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
