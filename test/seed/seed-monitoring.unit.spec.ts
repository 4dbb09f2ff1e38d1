import { describe, expect, it } from 'vitest';
import {
  IntegrationMetrics,
  MonitoringManager,
  WeftMetrics,
  integrationAlerting,
  integrationLogger,
  integrationMetrics,
  monitoringManager,
} from 'weft/internal';

describe('seed-style monitoring API', () => {
  it("logs with pino level names or the seed's numbers, resolving once written, and refuses unknown levels", async () => {
    await integrationLogger.log('info', 'crafted', { recipeId: 'sword' });
    await integrationLogger.log(40, 'forge overheating');
    expect(monitoringManager.logging.recent().at(-1)).toMatchObject({ level: 'error', msg: 'forge overheating' });
    await expect(integrationLogger.log(35 as never, 'x')).rejects.toThrow(/Unknown log level 35/);
  });

  it('records values, answers the last one and a summary, counts increments, and exports both', async () => {
    integrationMetrics.record('craft_time_ms', 12);
    for (let i = 1; i <= 100; i++) integrationMetrics.record('queue_depth', i);
    integrationMetrics.increment('items_crafted');
    integrationMetrics.increment('items_crafted', 4);
    expect(await integrationMetrics.get('craft_time_ms')).toBe(12);
    expect(await integrationMetrics.get('items_crafted')).toBe(5);
    expect(await integrationMetrics.get('never_recorded')).toBeUndefined();
    expect(integrationMetrics.summary('queue_depth')).toEqual({
      count: 100,
      sum: 5050,
      min: 1,
      max: 100,
      p50: 50,
      p95: 95,
      p99: 99,
    });
    const text = await monitoringManager.metrics.text();
    expect(text).toContain('weft_queue_depth 100');
    expect(text).toContain('weft_items_crafted_total 5');
  });

  it('raises a manual alert and returns the latest one by name', async () => {
    expect(await integrationAlerting.getAlert('economy.inflation')).toBeUndefined();
    integrationAlerting.alert('economy.inflation', 'gold supply doubled in an hour', { severity: 'critical' });
    expect(await integrationAlerting.getAlert('economy.inflation')).toMatchObject({
      name: 'economy.inflation',
      message: 'gold supply doubled in an hour',
      severity: 'critical',
      state: 'firing',
    });
  });

  it('keeps separate instances apart: metrics of one never show in another', async () => {
    const metrics = new WeftMetrics();
    new IntegrationMetrics(metrics).record('private_value', 1);
    expect(await metrics.text()).toContain('weft_private_value 1');
    expect(await new MonitoringManager({ processMetrics: false }).metrics.text()).not.toContain('weft_private_value');
  });
});

describe('performance budgets', () => {
  it('reports each budget as met, exceeded or not enough data, and adds an alert rule for it', async () => {
    const monitoring = new MonitoringManager({ processMetrics: false, builtinRules: false });
    monitoring.registerBudget('crafting.craft', { p99Ms: 50, errorRate: 0.1 });
    monitoring.registerBudget('quest.advance', { p99Ms: 5 });
    monitoring.registerBudget('combat.attack', { p99Ms: 100 });
    for (let i = 0; i < 40; i++) await monitoring.metrics.timeOperation('crafting.craft', () => i);
    await expect(
      monitoring.metrics.timeOperation('crafting.craft', () => Promise.reject(new Error('no ore'))),
    ).rejects.toThrow('no ore');
    for (let i = 0; i < 30; i++)
      monitoring.metrics.operationDuration.observe({ operation: 'quest.advance', outcome: 'ok' }, 40);
    monitoring.metrics.operationDuration.observe({ operation: 'combat.attack', outcome: 'ok' }, 1);

    const report = await monitoring.validatePerformance();
    expect(report).toEqual([
      expect.objectContaining({
        operation: 'crafting.craft',
        status: 'met',
        samples: 41,
        errorRate: { budget: 0.1, measured: 1 / 41 },
      }),
      expect.objectContaining({ operation: 'quest.advance', status: 'exceeded', samples: 30 }),
      expect.objectContaining({ operation: 'combat.attack', status: 'not enough data', samples: 1 }),
    ]);
    expect(report[1]?.p99Ms.measured).toBeGreaterThan(5);
    expect(monitoring.alerting.list().map((r) => r.name)).toEqual([
      'budget.crafting.craft.p99',
      'budget.crafting.craft.error_rate',
      'budget.quest.advance.p99',
      'budget.combat.attack.p99',
    ]);
    await monitoring.alerting.evaluate();
    expect(monitoring.alerting.list().find((r) => r.name === 'budget.quest.advance.p99')?.state).toBe('pending');
  });
});
