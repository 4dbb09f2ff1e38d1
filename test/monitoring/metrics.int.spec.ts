import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ConfigError, WeftMetrics } from 'weft/internal';
import { createTestDatabase } from 'weft/testing';

/** Parses Prometheus text back into `name{labels}` -> value. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

describe('WeftMetrics', () => {
  it('keeps its own registry, never the global one, and names everything weft_ with help text', async () => {
    const metrics = new WeftMetrics();
    metrics.eventsPublished.inc({ type: 'crafting.item_crafted' });
    expect(await globalRegistry.metrics()).not.toContain('weft_events_published_total');
    const text = await metrics.text();
    expect(text).toContain('# HELP weft_events_published_total Events published, by type.');
    expect(parse(text).get('weft_events_published_total{type="crafting.item_crafted"}')).toBe(1);
    for (const line of text.split('\n').filter((l) => l.startsWith('# TYPE'))) expect(line).toMatch(/^# TYPE weft_/);
  });

  it('pre-registers the instruments the parts record', async () => {
    const names = (await new WeftMetrics().registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'weft_events_published_total',
        'weft_events_delivered_total',
        'weft_events_failed_total',
        'weft_events_retried_total',
        'weft_events_dead_lettered_total',
        'weft_handler_duration_ms',
        'weft_transaction_duration_ms',
        'weft_transaction_commits_total',
        'weft_transaction_rollbacks_total',
        'weft_transaction_conflicts_total',
        'weft_validation_failures_total',
        'weft_db_query_duration_ms',
        'weft_http_request_duration_ms',
      ]),
    );
  });

  it('times database statements by operation and exports the pool', async () => {
    const metrics = new WeftMetrics();
    await using db = await createTestDatabase({ options: { onQuery: metrics.queryObserver() } });
    metrics.watchDatabase(db);
    await db.transaction((tx) => tx.schema.createTable('t').addColumn('id', 'integer').execute());
    await db.executor().selectFrom('t').selectAll().execute();
    await db
      .executor()
      .selectFrom('missing')
      .selectAll()
      .execute()
      .catch(() => undefined);
    const samples = parse(await metrics.text());
    expect(samples.get('weft_db_query_duration_ms_count{operation="begin",outcome="ok"}')).toBe(1);
    expect(samples.get('weft_db_query_duration_ms_count{operation="create",outcome="ok"}')).toBe(1);
    expect(samples.get('weft_db_query_duration_ms_count{operation="select",outcome="error"}')).toBe(1);
    expect(samples.get('weft_db_pool_size')).toBe(1);
    expect(samples.get('weft_db_pool_waiting')).toBe(0);
    expect(samples.get('weft_db_transactions_waiting')).toBe(0);
  });

  it('exports the transactions waiting for the one SQLite writer, and none once they ran', async () => {
    const metrics = new WeftMetrics();
    await using db = await createTestDatabase();
    metrics.watchDatabase(db);
    let release: () => void = () => undefined;
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (started = resolve));
    const first = db.transaction(async () => {
      started();
      await new Promise<void>((resolve) => (release = resolve));
    });
    await running;
    const behind = [db.transaction(() => 1), db.transaction(() => 2)];
    expect(db.poolStats().transactionsWaiting).toBe(2);
    expect(parse(await metrics.text()).get('weft_db_transactions_waiting')).toBe(2);
    release();
    await first;
    expect(await Promise.all(behind)).toEqual([1, 2]);
    expect(parse(await metrics.text()).get('weft_db_transactions_waiting')).toBe(0);
  });

  it('collects process metrics into its registry', async () => {
    const metrics = new WeftMetrics();
    metrics.collectProcessMetrics();
    const text = await metrics.text();
    for (const name of [
      'weft_process_cpu_seconds_total',
      'weft_process_resident_memory_bytes',
      'weft_nodejs_eventloop_lag_seconds',
      'weft_nodejs_active_handles_total',
    ]) {
      expect(text).toContain(name);
    }
  });

  it('refuses custom instruments without the weft_ prefix or the _total suffix on counters', () => {
    const metrics = new WeftMetrics();
    expect(() => metrics.counter({ name: 'gold_spent', help: 'x' })).toThrow(ConfigError);
    expect(() => metrics.counter({ name: 'weft_gold_spent', help: 'x' })).toThrow(/ending in _total/);
    metrics
      .histogram({ name: 'weft_craft_duration_ms', help: 'Crafting time.', labelNames: ['station'] })
      .observe({ station: 'forge' }, 12);
  });
});
