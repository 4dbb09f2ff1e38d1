import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../api.js';
import { CausalTree } from '../causal-tree.js';
import { openEventStream, type StreamFilter, type StreamState } from '../event-stream.js';
import { JsonView } from '../json-view.js';
import type { StreamedEvent, Trace } from '../types.js';

/** Rows kept on the page: the newest. */
const KEPT = 300;

/** Live events: the stream as it comes, filterable and pausable; a row opens its envelope and its causal tree. */
export function LiveEventsPanel(props: { readonly api: Api; readonly onTrace: (correlationId: string) => void }) {
  const { api } = props;
  const [draft, setDraft] = useState<StreamFilter>({});
  const [filter, setFilter] = useState<StreamFilter>({});
  const [rows, setRows] = useState<StreamedEvent[]>([]);
  const [paused, setPaused] = useState(false);
  const [held, setHeld] = useState<StreamedEvent[]>([]);
  const [state, setState] = useState<StreamState>({ kind: 'connecting' });
  const [selected, setSelected] = useState<StreamedEvent | undefined>(undefined);

  useEffect(() => {
    // What the former filter's stream gave, shown or held while paused, is not what the new filter asks for.
    setRows([]);
    setHeld([]);
    return openEventStream(api, filter, (event) => setHeld((queue) => [...queue, event].slice(-KEPT)), setState);
  }, [api, filter]);

  // While paused, events wait in `held`; they join the list when the stream resumes.
  useEffect(() => {
    if (paused || held.length === 0) return;
    setRows((current) => [...held.slice().reverse(), ...current].slice(0, KEPT));
    setHeld([]);
  }, [held, paused]);

  const field = (name: keyof StreamFilter, label: string, placeholder: string) => (
    <label>
      {label}
      <input
        name={name}
        value={draft[name] ?? ''}
        placeholder={placeholder}
        aria-label={`Filter by ${label.toLowerCase()}`}
        onInput={(e) => setDraft({ ...draft, [name]: e.currentTarget.value.trim() })}
      />
    </label>
  );

  return (
    <div class="live">
      <form
        class="filters"
        aria-label="Event filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(draft);
        }}
      >
        {field('system', 'System', 'crafting')}
        {field('type', 'Type', 'crafting.item_crafted')}
        {field('characterId', 'Character', 'character id')}
        {field('correlationId', 'Correlation', 'x-request-id')}
        <button type="submit">Apply filters</button>
        <button type="button" aria-pressed={paused} onClick={() => setPaused(!paused)}>
          {paused ? `Resume (${held.length} waiting)` : 'Pause'}
        </button>
      </form>
      <StreamStatus state={state} />
      <div class="split">
        <table class="events" aria-label="Live events">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Time</th>
              <th scope="col">Type</th>
              <th scope="col">Correlation</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr
                key={row.seq}
                class={selected?.seq === row.seq ? 'selected' : undefined}
                tabIndex={0}
                aria-label={`Event ${row.seq} ${row.envelope.type}: open`}
                onClick={() => setSelected(row)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    setSelected(row);
                  }
                }}
              >
                <td>{row.seq}</td>
                <td>
                  <time dateTime={row.envelope.time}>{new Date(row.envelope.time).toLocaleTimeString()}</time>
                </td>
                <td class="type">{row.envelope.type}</td>
                <td class="muted ellipsis">{row.envelope.correlationId}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {selected !== undefined && (
          <EventDetail api={api} event={selected} onTrace={props.onTrace} onClose={() => setSelected(undefined)} />
        )}
      </div>
    </div>
  );
}

/** Says whether the stream is live, and that it reconnected (and when) after a drop. */
function StreamStatus(props: { readonly state: StreamState }) {
  const { state } = props;
  const text =
    state.kind === 'connecting'
      ? 'Connecting to the event stream…'
      : state.kind === 'reconnecting'
        ? `Stream dropped (${state.reason}); reconnecting, attempt ${state.attempt}…`
        : state.kind === 'refused'
          ? `The server refused the stream: ${state.reason}`
          : state.reconnectedAt !== undefined
            ? `Live: reconnected at ${state.reconnectedAt}`
            : 'Live';
  return (
    <p
      class={`stream-status ${state.kind}${state.kind === 'refused' ? ' error' : ''}`}
      role={state.kind === 'refused' ? 'alert' : 'status'}
      data-state={state.kind}
    >
      {text}
    </p>
  );
}

/** One event: its envelope, and the causal tree of its correlation id with the event marked. */
function EventDetail(props: {
  readonly api: Api;
  readonly event: StreamedEvent;
  readonly onTrace: (correlationId: string) => void;
  readonly onClose: () => void;
}) {
  const { envelope } = props.event;
  const [trace, setTrace] = useState<Trace | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    setTrace(undefined);
    setError(undefined);
    props.api
      .get<Trace>(`/admin/trace/${encodeURIComponent(envelope.correlationId)}`)
      .then(setTrace, (failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)));
  }, [props.api, envelope.correlationId]);
  return (
    <aside class="detail" aria-label={`Event ${props.event.seq}`}>
      <div class="row">
        <h2>{envelope.type}</h2>
        <button type="button" onClick={props.onClose} aria-label="Close the event">
          Close
        </button>
      </div>
      <button type="button" class="link" onClick={() => props.onTrace(envelope.correlationId)}>
        Open the trace of {envelope.correlationId}
      </button>
      <JsonView value={envelope} label="Envelope" />
      <h3>Causal tree</h3>
      {error !== undefined && <p class="error">{error}</p>}
      {trace !== undefined && <CausalTree trace={trace} selectedEventId={envelope.id} />}
    </aside>
  );
}
