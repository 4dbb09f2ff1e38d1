import type { z } from 'zod';
import type { StateSlice } from '../../../integration/index.js';
import { walletAccount, type Ledger } from './ledger.js';
import type { Audit, Wallet } from './schemas.js';

/** Wallets read per page: the audit walks every one without holding them all. */
const PAGE = 1000;

/**
 * Recomputes every wallet from the ledger: balanced when each wallet equals the sum of its lines and the whole ledger
 * sums to zero; each wallet that differs is listed with both figures.
 */
export async function auditWallets(
  ledger: Pick<Ledger, 'sums'>,
  wallets: Pick<StateSlice<z.infer<typeof Wallet>>, 'list'>,
): Promise<z.infer<typeof Audit>> {
  const sums = await ledger.sums();
  const mismatches = [];
  let count = 0;
  for (let cursor: string | undefined, first = true; first || cursor !== undefined; first = false) {
    const page = await wallets.list({ limit: PAGE, ...(cursor === undefined ? {} : { cursor }) });
    for (const { value } of page.entries) {
      count++;
      const fromLedger = sums.get(walletAccount(value.characterId)) ?? 0n;
      if (fromLedger !== BigInt(value.gold)) {
        mismatches.push({ characterId: value.characterId, wallet: value.gold, ledger: Number(fromLedger) });
      }
    }
    cursor = page.cursor;
  }
  const ledgerSum = [...sums.values()].reduce((sum, total) => sum + total, 0n);
  return {
    balanced: mismatches.length === 0 && ledgerSum === 0n,
    wallets: count,
    ledgerSum: Number(ledgerSum),
    mismatches,
  };
}
