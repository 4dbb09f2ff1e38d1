import type { Database } from '../database/internal.js';
import { NotFoundError } from '../errors/internal.js';
import type { EventTables } from '../events/internal.js';
import type { ValidationIssue, ValidationManager } from '../validation/internal.js';
import type { StateTables } from './entry-table.js';
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

/** Per system, for `getSyncStatus` and `GET /status`. */
export interface SystemSyncStatus {
  readonly system: string;
  readonly entries: number;
  readonly lastChangeAt: string | undefined;
  readonly lastVersion: number | undefined;
  readonly changesLastMinute: number;
  readonly conflictsLastMinute: number;
  readonly callbacksFailing: number;
  /** `state.changed` events of this system that some durable subscription has not handled yet. */
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

/** Re-checks entries against their slice (page by page, so a large slice is never all in memory) and every invariant. */
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

/** Per system: entries, last change, recent changes and conflicts, failing callbacks, undelivered events, dead letters. */
export async function syncStatus(
  store: ReportedStore,
  db: Database<unknown>,
  durableSubscriptions: readonly string[],
): Promise<SyncStatus> {
  const tables = db.withTables<StateTables & EventTables>().executor();
  const counts = new Map<
    string,
    { entries: number; lastChangeAt: string | undefined; lastVersion: number | undefined }
  >();
  const rows = await tables
    .selectFrom('weft_state_entries')
    .select((eb) => ['system', eb.fn.countAll<number>().as('entries'), eb.fn.max('updated_at').as('last')])
    .groupBy('system')
    .execute();
  for (const row of rows) {
    const latest = await tables
      .selectFrom('weft_state_entries')
      .select('version')
      .where('system', '=', row.system)
      .orderBy('updated_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    counts.set(row.system, {
      entries: Number(row.entries),
      lastChangeAt: row.last ?? undefined,
      lastVersion: latest === undefined ? undefined : Number(latest.version),
    });
  }
  // Undelivered: past the cursor of the slowest durable subscription that takes state.changed.
  const undelivered = new Map<string, number>();
  if (durableSubscriptions.length > 0) {
    const cursor = await tables
      .selectFrom('weft_event_cursors')
      .select((eb) => eb.fn.min('seq').as('seq'))
      .where('subscription', 'in', durableSubscriptions)
      .executeTakeFirst();
    const pending = await tables
      .selectFrom('weft_event_log')
      .select(['partition_key'])
      .where('type', '=', 'state.changed')
      .where('seq', '>', Number(cursor?.seq ?? 0))
      .limit(100_000)
      .execute();
    for (const row of pending) {
      const system = (row.partition_key ?? '').split(':')[0] ?? '';
      undelivered.set(system, (undelivered.get(system) ?? 0) + 1);
    }
  }
  const deadLetters = new Map<string, number>();
  const letters = await tables
    .selectFrom('weft_dead_letters')
    .select('envelope')
    .where('type', 'in', ['state.changed', 'state.rolled_back'])
    .limit(10_000)
    .execute();
  for (const letter of letters) {
    const system = (JSON.parse(letter.envelope) as { data?: { system?: string } }).data?.system ?? '';
    deadLetters.set(system, (deadLetters.get(system) ?? 0) + 1);
  }
  const systems = [...store.slices.keys()].map((system) => {
    const count = counts.get(system);
    return {
      system,
      entries: count?.entries ?? 0,
      lastChangeAt: count?.lastChangeAt,
      lastVersion: count?.lastVersion,
      changesLastMinute: store.activity.count(system, 'change'),
      conflictsLastMinute: store.activity.count(system, 'conflict'),
      callbacksFailing: store.callbacksFailing(system),
      undeliveredEvents: undelivered.get(system) ?? 0,
      deadLetters: deadLetters.get(system) ?? 0,
    };
  });
  const degraded = systems.some((s) => s.callbacksFailing > 0 || s.deadLetters > 0);
  return { health: degraded ? 'degraded' : 'ok', systems };
}
