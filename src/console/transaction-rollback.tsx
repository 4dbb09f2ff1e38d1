import { useState } from 'preact/hooks';
import type { Api } from './api.js';
import type { StateChange } from './types.js';

/** What `POST /admin/state/transactions/:id/rollback` answers. */
interface Reverted {
  readonly transactionId: string;
  readonly reverted: ReadonlyArray<{ readonly system: string; readonly key: string }>;
}

/**
 * The state transactions of a trace, each with the slices it wrote and a button that rolls it back
 * as a whole; the outcome (what was reverted, or the server's reason for refusing) is said below.
 */
export function TransactionRollback(props: { readonly api: Api; readonly changes: readonly StateChange[] }) {
  const [outcome, setOutcome] = useState('');
  const transactions = new Map<string, Set<string>>();
  for (const change of props.changes) {
    const slices = transactions.get(change.transactionId) ?? new Set<string>();
    slices.add(change.system);
    transactions.set(change.transactionId, slices);
  }
  if (transactions.size === 0) return null;

  async function rollBack(id: string): Promise<void> {
    if (!window.confirm(`Roll back every state change of transaction ${id}?`)) return;
    try {
      const answer = await props.api.post<Reverted>(`/admin/state/transactions/${encodeURIComponent(id)}/rollback`);
      const entries = answer.reverted.map((change) => `${change.system} ${change.key}`).join(', ');
      setOutcome(`Rolled back ${id}: ${entries || 'nothing left to revert'} (as transaction ${answer.transactionId}).`);
    } catch (failure) {
      setOutcome(`Rollback refused: ${failure instanceof Error ? failure.message : String(failure)}`);
    }
  }

  return (
    <section aria-label="Transactions">
      <h3>Transactions</h3>
      <ul class="transactions">
        {[...transactions].map(([id, slices]) => (
          <li key={id} data-transaction={id}>
            <code>{id}</code> {[...slices].join(', ')}{' '}
            <button type="button" onClick={() => void rollBack(id)} aria-label={`Roll back transaction ${id}`}>
              Roll back
            </button>
          </li>
        ))}
      </ul>
      <p role="status" class="outcome">
        {outcome}
      </p>
    </section>
  );
}
