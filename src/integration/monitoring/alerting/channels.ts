import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { backoffDelay } from '../../database/internal.js';
import type { Severity } from './alert-rule.js';

/** One notification: a rule (or a manual alert) that started firing or resolved. */
export interface Alert {
  readonly name: string;
  readonly state: 'firing' | 'resolved';
  readonly severity: Severity;
  readonly summary: string;
  /** The value that crossed the threshold (absent for a manual alert). */
  readonly value?: number;
  readonly labels: Readonly<Record<string, string>>;
  /** ISO times. */
  readonly firedAt: string;
  readonly resolvedAt?: string;
}

/** Somewhere alerts go. A channel that throws is logged and counted; the others still get the alert. */
export interface AlertChannel {
  readonly name: string;
  send(alert: Alert): Promise<void> | void;
}

/** Writes each alert as a log line: error for critical, warn otherwise. */
export function logChannel(logger: Pick<Logger, 'warn' | 'error' | 'info'>, name = 'log'): AlertChannel {
  return {
    name,
    send(alert) {
      const fields = { alert };
      if (alert.state === 'resolved') logger.info(fields, `alert resolved: ${alert.name}`);
      else if (alert.severity === 'critical') logger.error(fields, `alert firing: ${alert.name}: ${alert.summary}`);
      else logger.warn(fields, `alert firing: ${alert.name}: ${alert.summary}`);
    },
  };
}

/** Options of a webhook channel. */
export interface WebhookOptions {
  readonly name: string;
  readonly url: string;
  /** Per attempt. Default 5000. */
  readonly timeoutMs?: number;
  /** Attempts after the first. Default 3. */
  readonly retries?: number;
  /** First retry delay; doubles each time. Default 200. */
  readonly backoffMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/** POSTs each alert as JSON; retries on a network error or a non-2xx answer, each attempt under a timeout. */
export function webhookChannel(options: WebhookOptions): AlertChannel {
  const timeoutMs = options.timeoutMs ?? 5000;
  const retries = options.retries ?? 3;
  const backoffMs = options.backoffMs ?? 200;
  return {
    name: options.name,
    async send(alert) {
      let lastError: unknown;
      for (let attempt = 0; attempt <= retries; attempt++) {
        if (attempt > 0)
          await sleep(backoffDelay({ baseDelayMs: backoffMs, maxDelayMs: backoffMs * 2 ** retries }, attempt));
        try {
          const response = await fetch(options.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...options.headers },
            body: JSON.stringify(alert),
            signal: AbortSignal.timeout(timeoutMs),
          });
          if (response.ok) return;
          lastError = new Error(`webhook ${options.name} answered ${response.status}`);
        } catch (error) {
          lastError = error;
        }
      }
      throw new Error(`webhook ${options.name} failed after ${retries + 1} attempts`, { cause: lastError });
    },
  };
}

/** Hands each alert to a function (the event bus subscribes this way). */
export function callbackChannel(name: string, callback: (alert: Alert) => Promise<void> | void): AlertChannel {
  return { name, send: callback };
}
