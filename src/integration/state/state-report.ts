import { NotFoundError } from '../errors/internal.js';
import type { BacklogQuery, EventBacklog } from '../events/internal.js';
import type { ValidationIssue, ValidationManager } from '../validation/internal.js';
import type { SliceSummary } from './entry-summary.js';
import type { RecentActivity } from './recent-activity.js';
import { invariantIssue } from './invariant-check.js';
import { checkEntry, type Slice } from './state-transaction.js';
import type { CrossSystemInvariant, StateReader } from './types.js';

/** What the reports read of a store. */
export interface ReportedStore extends StateReader {
  readonly slices: ReadonlyMap<string, Slice>;
  readonly invariants: ReadonlyMap<
    string,
    { readonly systems: ReadonlySet<string>; readonly check: CrossSystemInvariant }
  >;
  readonly activity: RecentActivity;
  callbacksFailing(system: string): number;
}

/** What `validateState` found. */
export interface StateValidationReport {
  readonly ok: boolean;
  readonly systems: ReadonlyArray<{
    readonly system: string;
    readonly entries: number;
    readonly failing: number;
    /** The first failing keys (up to 100) with their issues. */
    readonly issues: ReadonlyArray<{ readonly key: string; readonly issues: readonly ValidationIssue[] }>;
  }>;
  readonly invariants: ReadonlyArray<{ readonly name: string; readonly ok: boolean; readonly message?: string }>;
}

/** Per slice, for `getSyncStatus` and `GET /status`. */
export interface SystemSyncStatus {
  /** The system that owns the slice. */
  readonly system: string;
  /** The slice: `system` or `system.slice`. */
  readonly slice: string;
  readonly entries: number;
  readonly lastChangeAt: string | undefined;
  readonly lastVersion: number | undefined;
  readonly changesLastMinute: number;
  readonly conflictsLastMinute: number;
  readonly callbacksFailing: number;
  /**
   * State events (changed, rolled back) of this slice that some durable subscription taking them has not handled yet.
   */
  readonly undeliveredEvents: number;
  readonly deadLetters: number;
}

/** The whole picture: `ok` when nothing fails, `degraded` when callbacks fail or events are stuck in dead letters. */
export interface SyncStatus {
  readonly health: 'ok' | 'degraded';
  readonly systems: readonly SystemSyncStatus[];
}

const PAGE = 500;
const KEPT_FAILURES = 100;

/**
 * Re-checks entries against their slice (page by page, so a large slice is never all in memory) and every invariant.
 */
export async function validateState(
  store: ReportedStore,
  validation: ValidationManager,
  system?: string,
): Promise<StateValidationReport> {
  if (system !== undefined && !store.slices.has(system))
    throw new NotFoundError(`No state slice is registered for ${system}.`);
  const systems = [];
  for (const slice of store.slices.values()) {
    if (system !== undefined && slice.system !== system) continue;
    let entries = 0;
    let failing = 0;
    const issues: Array<{ key: string; issues: ValidationIssue[] }> = [];
    for (let cursor: string | undefined, first = true; first || cursor !== undefined; first = false) {
      const page = await store.list(slice.system, { limit: PAGE, ...(cursor === undefined ? {} : { cursor }) });
      for (const entry of page.entries) {
        entries++;
        const checked = checkEntry(validation, slice, entry.key, entry.value);
        if (checked.issues.length === 0) continue;
        failing++;
        if (issues.length < KEPT_FAILURES) issues.push({ key: entry.key, issues: checked.issues });
      }
      cursor = page.cursor;
    }
    systems.push({ system: slice.system, entries, failing, issues });
  }
  const invariants = [];
  for (const [name, invariant] of store.invariants) {
    if (system !== undefined && !invariant.systems.has(system)) continue;
    const failed = await invariantIssue(name, async () => invariant.check(store, []));
    invariants.push(failed === undefined ? { name, ok: true } : { name, ok: false, message: failed.message });
  }
  return { ok: systems.every((s) => s.failing === 0) && invariants.every((i) => i.ok), systems, invariants };
}

/**
 * Per slice: entries, last change, recent changes and conflicts, failing callbacks, undelivered state events, dead
 * letters. Slices are summarized one after the other (`summarize` pages through each), so the report never holds
 * the database, or on SQLite the event loop, for long.
 */
export async function syncStatus(
  store: ReportedStore,
  summarize: (slice: string) => Promise<SliceSummary>,
  events: { backlog(query: BacklogQuery): Promise<EventBacklog> },
): Promise<SyncStatus> {
  const slices = [...store.slices.keys()];
  const summary = new Map<string, SliceSummary>();
  for (const slice of slices) summary.set(slice, await summarize(slice));
  // The events part counts what waits for its subscriptions; a state event's partition key is `slice:key`.
  const backlog = await events.backlog({ types: STATE_EVENTS, prefixes: slices.map((slice) => `${slice}:`) });
  const waiting = new Map(backlog.prefixes.map((row) => [row.prefix.slice(0, -1), row]));
  const systems = slices.map((slice) => {
    const row = summary.get(slice);
    return Object.freeze({
      system: ownerOf(slice),
      slice,
      entries: row?.entries ?? 0,
      lastChangeAt: row?.lastChange,
      lastVersion: row?.lastVersion,
      changesLastMinute: store.activity.count(slice, 'change'),
      conflictsLastMinute: store.activity.count(slice, 'conflict'),
      callbacksFailing: store.callbacksFailing(slice),
      undeliveredEvents: waiting.get(slice)?.undelivered ?? 0,
      deadLetters: waiting.get(slice)?.deadLetters ?? 0,
    });
  });
  const degraded = systems.some((s) => s.callbacksFailing > 0 || s.deadLetters > 0);
  // Frozen: the same report goes to every caller for a second (see getSyncStatus).
  return Object.freeze({ health: degraded ? 'degraded' : 'ok', systems: Object.freeze(systems) });
}

const STATE_EVENTS = ['state.changed', 'state.rolled_back'];

/** The system a slice belongs to: `economy` for `economy.wallets`. */
export function ownerOf(slice: string): string {
  const dot = slice.indexOf('.');
  return dot === -1 ? slice : slice.slice(0, dot);
}
