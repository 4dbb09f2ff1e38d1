import { useState } from 'preact/hooks';
import type { Api } from '../api.js';
import { JsonView } from '../json-view.js';
import type { DeadLetter } from '../types.js';
import { usePolling } from '../use-polling.js';

/** Dead letters: list (by subscription), inspect, re-drive or discard one, with the outcome said. */
export function DeadLettersPanel(props: { readonly api: Api; readonly onTrace: (correlationId: string) => void }) {
  const { api } = props;
  const [subscription, setSubscription] = useState('');
  const [applied, setApplied] = useState('');
  const path = `/admin/dead-letters?limit=100${applied === '' ? '' : `&subscription=${encodeURIComponent(applied)}`}`;
  const { data, error, refresh } = usePolling<{ deadLetters: DeadLetter[]; next?: string }>(api, path, 3000);
  const [open, setOpen] = useState<DeadLetter | undefined>(undefined);
  const [outcome, setOutcome] = useState<string>('');

  async function act(letter: DeadLetter, action: 'redrive' | 'discard'): Promise<void> {
    try {
      if (action === 'discard') {
        await api.delete(`/admin/dead-letters/${encodeURIComponent(letter.id)}`);
        setOutcome(`Discarded the ${letter.type} letter of ${letter.subscription}.`);
      } else {
        // A letter another operator re-drove or discarded meanwhile is a 404, said by the catch below.
        const answer = await api.post<{ redriven: true } | { redriven: false; deadLetter: DeadLetter }>(
          `/admin/dead-letters/${encodeURIComponent(letter.id)}/redrive`,
        );
        setOutcome(
          answer.redriven
            ? `Re-driven: ${letter.subscription} handled the ${letter.type} event.`
            : `Re-drive failed again (attempt ${answer.deadLetter.attempts}): ${answer.deadLetter.error}`,
        );
      }
      if (open?.id === letter.id) setOpen(undefined);
    } catch (failure) {
      setOutcome(
        `${action === 'discard' ? 'Discard' : 'Re-drive'} refused: ${failure instanceof Error ? failure.message : String(failure)}`,
      );
    }
    refresh();
  }

  const letters = data?.deadLetters ?? [];
  return (
    <div>
      <form
        class="filters"
        aria-label="Dead letter filter"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(subscription.trim());
        }}
      >
        <label>
          Subscription
          <input
            name="subscription"
            value={subscription}
            placeholder="economy.on_created"
            aria-label="Filter dead letters by subscription"
            onInput={(e) => setSubscription(e.currentTarget.value)}
          />
        </label>
        <button type="submit">Filter</button>
      </form>
      <p role="status" class="outcome">
        {outcome}
      </p>
      {error !== undefined && <p class="error">{error}</p>}
      <p>
        {letters.length === 0
          ? 'No dead letters.'
          : `${letters.length}${data?.next === undefined ? '' : '+'} dead letters, oldest first.`}
      </p>
      <table aria-label="Dead letters">
        <thead>
          <tr>
            <th scope="col">Subscription</th>
            <th scope="col">Type</th>
            <th scope="col">Attempts</th>
            <th scope="col">Error</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {letters.map((letter) => (
            <tr key={letter.id} data-dead-letter={letter.id}>
              <td>{letter.subscription}</td>
              <td>{letter.type}</td>
              <td>{letter.attempts}</td>
              <td class="ellipsis">{letter.error}</td>
              <td class="actions">
                <button type="button" onClick={() => setOpen(letter)} aria-label={`Inspect dead letter ${letter.id}`}>
                  Inspect
                </button>
                <button
                  type="button"
                  onClick={() => void act(letter, 'redrive')}
                  aria-label={`Re-drive dead letter ${letter.id}`}
                >
                  Re-drive
                </button>
                <button
                  type="button"
                  onClick={() => void act(letter, 'discard')}
                  aria-label={`Discard dead letter ${letter.id}`}
                >
                  Discard
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {open !== undefined && (
        <aside class="detail" aria-label={`Dead letter ${open.id}`}>
          <div class="row">
            <h2>
              {open.subscription}: {open.type}
            </h2>
            <button type="button" onClick={() => setOpen(undefined)} aria-label="Close the dead letter">
              Close
            </button>
          </div>
          <p>
            {open.attempts} attempts; first failed {new Date(open.createdAt).toLocaleString()}.
          </p>
          <pre class="error-text">{open.error}</pre>
          <button type="button" class="link" onClick={() => props.onTrace(open.correlationId)}>
            Open the trace of {open.correlationId}
          </button>
          <JsonView value={open.envelope} label="Envelope" />
        </aside>
      )}
    </div>
  );
}
