import type { Logger } from 'pino';
import { Alerting, type AlertRoute, type Clock } from './alerting/alerting.js';
import { builtinRules, type BuiltinThresholds } from './alerting/builtin-rules.js';
import { PerformanceBudgets, type BudgetReport, type PerformanceBudget } from './alerting/budgets.js';
import { logChannel, type AlertChannel } from './alerting/channels.js';
import { HealthChecks } from './health.js';
import { WeftLogger, type LoggerOptions } from './logger.js';
import { WeftMetrics } from './metrics.js';

/** Options of a MonitoringManager; every one optional. */
export interface MonitoringOptions {
  readonly logger?: LoggerOptions;
  /** Collect Node.js process metrics. Default true. */
  readonly processMetrics?: boolean;
  /** Alert channels besides the log channel, which is always there (named `log`). */
  readonly channels?: readonly AlertChannel[];
  readonly routes?: readonly AlertRoute[];
  /** The built-in rules, with their thresholds; `false` leaves them out. Default on. */
  readonly builtinRules?: boolean | BuiltinThresholds;
  readonly clock?: Clock;
  /** How often alert rules are evaluated once started. Default 15 s. */
  readonly evaluationIntervalMs?: number;
}

/**
 * The seed's MonitoringManager: one place where every part and game system logs, records
 * metrics, registers health checks, and where alert rules and performance budgets watch them.
 */
export class MonitoringManager {
  readonly logging: WeftLogger;
  readonly metrics = new WeftMetrics();
  readonly health = new HealthChecks();
  readonly alerting: Alerting;
  readonly budgets: PerformanceBudgets;

  constructor(options: MonitoringOptions = {}) {
    this.logging = new WeftLogger(options.logger);
    if (options.processMetrics !== false) this.metrics.collectProcessMetrics();
    this.alerting = new Alerting({
      metrics: this.metrics,
      logger: this.logging.forSystem('alerting'),
      channels: [logChannel(this.logging.forSystem('alerting')), ...(options.channels ?? [])],
      ...(options.routes === undefined ? {} : { routes: options.routes }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.evaluationIntervalMs === undefined ? {} : { intervalMs: options.evaluationIntervalMs }),
    });
    if (options.builtinRules !== false) {
      for (const rule of builtinRules(options.builtinRules === true ? {} : options.builtinRules))
        this.alerting.addRule(rule);
    }
    this.budgets = new PerformanceBudgets(this.metrics, this.alerting);
  }

  /** The logger of one system or part. */
  logger(system: string): Logger {
    return this.logging.forSystem(system);
  }

  /** Sets a performance budget for an operation; it is also an alert rule. */
  registerBudget(operation: string, budget: PerformanceBudget): void {
    this.budgets.register(operation, budget);
  }

  /** Every budget against the measured histograms. */
  validatePerformance(): Promise<BudgetReport[]> {
    return this.budgets.validate();
  }

  /** Starts evaluating alert rules on their interval. */
  start(): void {
    this.alerting.start();
  }

  /** Stops evaluation and waits for notifications on their way. */
  stop(): Promise<void> {
    return this.alerting.stop();
  }
}
