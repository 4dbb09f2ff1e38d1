import { useState } from 'preact/hooks';
import { ApiError, type Api } from './api.js';
import type { StateChange } from './types.js';

/** What `POST /admin/state/transactions/:id/rollback` answers. */
interface Reverted {
  readonly transactionId: string;
  readonly reverted: ReadonlyArray<{ readonly system: string; readonly key: string }>;
}

/**
 * The state transactions of a trace, each with the slices it wrote and a button that rolls it back
 * as a whole; the outcome (what was reverted, or the server's reason for refusing) is said below. A
 * transaction refused over later changes (a 409 naming its `conflicts`) gets a second button that rolls it back
 * anyway (`force`), overwriting them, after its own confirmation; the server still refuses what force cannot undo.
 */
export function TransactionRollback(props: { readonly api: Api; readonly changes: readonly StateChange[] }) {
  const [outcome, setOutcome] = useState('');
  /** The transaction last refused with a conflict: the one offered a forced rollback. */
  const [conflicted, setConflicted] = useState<string | undefined>(undefined);
  const transactions = new Map<string, Set<string>>();
  for (const change of props.changes) {
    const slices = transactions.get(change.transactionId) ?? new Set<string>();
    slices.add(change.system);
    transactions.set(change.transactionId, slices);
  }
  if (transactions.size === 0) return null;

  async function rollBack(id: string, force: boolean): Promise<void> {
    const question = force
      ? `Roll back transaction ${id} anyway? The later changes to what it wrote are overwritten.`
      : `Roll back every state change of transaction ${id}?`;
    if (!window.confirm(question)) return;
    try {
      const path = `/admin/state/transactions/${encodeURIComponent(id)}/rollback`;
      const answer = await props.api.post<Reverted>(path, force ? { force: true } : undefined);
      const entries = answer.reverted.map((change) => `${change.system} ${change.key}`).join(', ');
      setConflicted(undefined);
      setOutcome(`Rolled back ${id}: ${entries || 'nothing left to revert'} (as transaction ${answer.transactionId}).`);
    } catch (failure) {
      // Only a refusal over later changes (its `conflicts`) is one that force overcomes; a slice kept with its
      // ledger is refused forced or not, so it is not offered.
      const overLaterChanges = failure instanceof ApiError && Array.isArray(failure.problem.conflicts);
      setConflicted(overLaterChanges && !force ? id : undefined);
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
            <button type="button" onClick={() => void rollBack(id, false)} aria-label={`Roll back transaction ${id}`}>
              Roll back
            </button>
            {conflicted === id && (
              <button
                type="button"
                onClick={() => void rollBack(id, true)}
                aria-label={`Roll back transaction ${id} anyway, over later changes`}
              >
                Roll back anyway
              </button>
            )}
          </li>
        ))}
      </ul>
      <p role="status" class="outcome">
        {outcome}
      </p>
    </section>
  );
}
