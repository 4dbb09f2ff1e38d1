import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../api.js';
import { CausalTree } from '../causal-tree.js';
import { TransactionRollback } from '../transaction-rollback.js';
import type { Trace } from '../types.js';

/** Trace: the causal tree of a correlation id, pasted here or clicked elsewhere. */
export function TracePanel(props: {
  readonly api: Api;
  readonly correlationId: string | undefined;
  readonly onTrace: (correlationId: string) => void;
}) {
  const [draft, setDraft] = useState(props.correlationId ?? '');
  const [trace, setTrace] = useState<Trace | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  // Each Trace asked for reads again, the same id too: its handlers' outcomes move on (pending, then handled).
  const [asked, setAsked] = useState(0);
  const id = props.correlationId;

  useEffect(() => {
    if (id === undefined) return;
    setDraft(id);
    setTrace(undefined);
    setError(undefined);
    props.api
      .get<Trace>(`/admin/trace/${encodeURIComponent(id)}`)
      .then(setTrace, (failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)));
  }, [props.api, id, asked]);

  return (
    <div>
      <form
        class="filters"
        aria-label="Trace a correlation id"
        onSubmit={(e) => {
          e.preventDefault();
          if (draft.trim() === '') return;
          props.onTrace(draft.trim());
          setAsked((n) => n + 1);
        }}
      >
        <label>
          Correlation id
          <input
            name="correlationId"
            value={draft}
            placeholder="a response’s x-request-id"
            aria-label="Correlation id to trace"
            onInput={(e) => setDraft(e.currentTarget.value)}
          />
        </label>
        <button type="submit">Trace</button>
      </form>
      {error !== undefined && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {trace !== undefined && <CausalTree trace={trace} />}
      {trace !== undefined && <TransactionRollback api={props.api} changes={trace.stateChanges} />}
    </div>
  );
}
