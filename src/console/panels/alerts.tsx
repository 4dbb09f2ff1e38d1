import type { Api } from '../api.js';
import type { AlertRule } from '../types.js';
import { usePolling } from '../use-polling.js';

/** Alerts: every rule with its state (inactive, pending, firing, resolved) and its recent transitions. */
export function AlertsPanel(props: { readonly api: Api }) {
  const { data, error } = usePolling<{ rules: AlertRule[] }>(props.api, '/alerts', 2000);
  return (
    <div>
      {error !== undefined && <p class="error">{error}</p>}
      <table aria-label="Alert rules">
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">State</th>
            <th scope="col">Since</th>
            <th scope="col">Value</th>
            <th scope="col">History</th>
          </tr>
        </thead>
        <tbody>
          {(data?.rules ?? []).map((rule) => (
            <tr key={rule.name} data-rule={rule.name}>
              <td>
                <strong>{rule.name}</strong> <span class="muted">({rule.severity})</span>
                <br />
                {rule.summary}
              </td>
              <td>
                <span class={`state ${rule.state}`} data-state={rule.state}>
                  {rule.state}
                </span>
              </td>
              <td>{new Date(rule.since).toLocaleTimeString()}</td>
              <td>{rule.lastValue === undefined ? '—' : Number(rule.lastValue.toPrecision(4))}</td>
              <td>
                <ol class="history">
                  {rule.history.slice(-5).map((t) => (
                    <li key={t.at + t.to}>
                      {new Date(t.at).toLocaleTimeString()}: {t.from} → {t.to}
                    </li>
                  ))}
                </ol>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
