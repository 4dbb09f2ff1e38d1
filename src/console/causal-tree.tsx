import type { StateChange, Trace, TracedEvent } from './types.js';

/** A trace: each event with its system, time and handler outcomes, what it caused under it; then the state diffs. */
export function CausalTree(props: { readonly trace: Trace; readonly selectedEventId?: string }) {
  const { trace } = props;
  return (
    <div class="trace">
      <p>
        {trace.eventCount} event{trace.eventCount === 1 ? '' : 's'}, {trace.stateChanges.length} state change
        {trace.stateChanges.length === 1 ? '' : 's'}
        {trace.truncated ? ' (truncated: the oldest are shown)' : ''}
      </p>
      <ul class="tree" role="tree" aria-label={`Causal tree of ${trace.correlationId}`}>
        {trace.events.map((event) => (
          <EventNode key={event.id} event={event} selectedEventId={props.selectedEventId} />
        ))}
      </ul>
      <h3>State changes</h3>
      <ol class="changes" aria-label="State changes">
        {trace.stateChanges.map((change) => (
          <StateDiff key={`${change.system}:${change.key}:${change.version}`} change={change} />
        ))}
      </ol>
    </div>
  );
}

function EventNode(props: { readonly event: TracedEvent; readonly selectedEventId: string | undefined }) {
  const { event } = props;
  return (
    <li role="treeitem" aria-expanded={event.caused.length > 0 ? true : undefined} class="node">
      <div class={event.id === props.selectedEventId ? 'event selected' : 'event'}>
        <span class="type">{event.type}</span> <span class="muted">from {event.source}</span>{' '}
        <time dateTime={event.time}>{new Date(event.time).toLocaleTimeString()}</time>
        <ul class="handlers" aria-label="Handler outcomes">
          {event.handlers.map((handler) => (
            <li key={handler.subscription} class={`outcome ${handler.outcome}`}>
              {handler.subscription}: {handler.outcome}
            </li>
          ))}
        </ul>
      </div>
      {event.caused.length > 0 && (
        <ul role="group">
          {event.caused.map((child) => (
            <EventNode key={child.id} event={child} selectedEventId={props.selectedEventId} />
          ))}
        </ul>
      )}
    </li>
  );
}

/** One state version, as the JSON patch that made it (a set's ops; a create or delete shows the value). */
function StateDiff(props: { readonly change: StateChange }) {
  const { change } = props;
  const ops = Array.isArray(change.patch)
    ? (change.patch as Array<{ op?: string; path?: string; value?: unknown }>)
    : undefined;
  return (
    <li class="change">
      <strong>{change.system}</strong> {change.key} v{change.version} ({change.kind})
      {ops !== undefined && ops.length > 0 ? (
        <ul class="diff">
          {ops.map((op, index) => (
            <li key={index} class={`op ${op.op ?? ''}`}>
              {op.op} {op.path} {op.value === undefined ? '' : JSON.stringify(op.value)}
            </li>
          ))}
        </ul>
      ) : (
        <code class="value">{JSON.stringify(change.value)}</code>
      )}
    </li>
  );
}
