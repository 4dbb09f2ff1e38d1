import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import type { Api } from '../api.js';
import type { Systems } from '../types.js';
import { usePolling } from '../use-polling.js';

/**
 * Systems: each system's slices (sync status) and durable subscriptions (backlog, lag, dead letters, failures), with a
 * button replaying each subscription that declares a reset; the outcome, or the server's reason for refusing, below.
 */
export function SystemsPanel(props: { readonly api: Api }) {
  const { data, error } = usePolling<Systems>(props.api, '/admin/systems', 3000);
  const [outcome, setOutcome] = useState('');

  async function replay(name: string): Promise<void> {
    if (!window.confirm(`Replay ${name} from the start of the log? What it built is cleared and counted again.`))
      return;
    try {
      const answer = await props.api.post<{ throughSeq: number }>(
        `/admin/subscriptions/${encodeURIComponent(name)}/replay`,
      );
      setOutcome(`Replaying ${name}: every event up to #${answer.throughSeq} comes through it again.`);
    } catch (failure) {
      setOutcome(`Replay refused: ${failure instanceof Error ? failure.message : String(failure)}`);
    }
  }

  return (
    <div>
      {error !== undefined && <p class="error">{error}</p>}
      <p role="status" class="outcome">
        {outcome}
      </p>
      {data !== undefined && (
        <>
          <p class={`health ${data.health}`}>State: {data.health}</p>
          <div class="cards">
            {data.systems.map((system) => (
              <article key={system.name} class="card" aria-label={`System ${system.name}`}>
                <h2>{system.name}</h2>
                {system.slices.length > 0 && (
                  <table aria-label={`Slices of ${system.name}`}>
                    <thead>
                      <tr>
                        <th scope="col">Slice</th>
                        <th scope="col">Entries</th>
                        <th scope="col">Last change</th>
                      </tr>
                    </thead>
                    <tbody>
                      {system.slices.map((slice) => (
                        <tr key={slice.slice}>
                          <td class="name">{breakable(slice.slice)}</td>
                          <td>{slice.entries}</td>
                          <td>
                            {slice.lastChangeAt === undefined ? '—' : new Date(slice.lastChangeAt).toLocaleString()}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
                {system.subscriptions.length > 0 && (
                  <table aria-label={`Subscriptions of ${system.name}`}>
                    <thead>
                      <tr>
                        <th scope="col">Subscription</th>
                        <th scope="col">Waiting</th>
                        <th scope="col">Lag</th>
                        <th scope="col">Dead</th>
                        <th scope="col">Failures</th>
                        <th scope="col">Replay</th>
                      </tr>
                    </thead>
                    <tbody>
                      {system.subscriptions.map((s) => (
                        <tr key={s.name} class={s.deadLetters > 0 || s.failures > 0 ? 'warn' : undefined}>
                          <td class="name" title={s.pattern}>
                            {breakable(s.name)}
                          </td>
                          <td>{s.undelivered}</td>
                          <td class="nowrap">{Math.round(s.lagMs)} ms</td>
                          <td>{s.deadLetters}</td>
                          <td>{s.failures}</td>
                          <td>
                            {s.replayable && (
                              <button type="button" onClick={() => void replay(s.name)} aria-label={`Replay ${s.name}`}>
                                Replay
                              </button>
                            )}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </article>
            ))}
          </div>
        </>
      )}
    </div>
  );
}

/** A dotted name with a line break allowed after each `.` and `_`, so a narrow column wraps it between words. */
function breakable(name: string) {
  return name.split(/(?<=[._])/).map((part, i) => (
    <Fragment key={i}>
      {i > 0 && <wbr />}
      {part}
    </Fragment>
  ));
}
