import type { EventLog } from './event-log.js';

/**
 * One process's reads of the event log's horizon (`EventLog.horizon`), shared by its subscriptions' streams: on
 * PostgreSQL each read briefly holds publishers off, so the streams woken by one commit share one read. A caller that
 * arrives while a read runs waits for the next one, which starts after it: the running one may have started before
 * the commit that woke the caller, and would not cover its events.
 */
export class LogHorizon {
  readonly #log: EventLog;
  #running: Promise<number> | undefined;
  #queued: Promise<number> | undefined;

  constructor(log: EventLog) {
    this.#log = log;
  }

  /** A horizon read that started after this call. */
  read(): Promise<number> {
    const running = this.#running;
    if (running === undefined) return this.#start();
    this.#queued ??= running
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        this.#queued = undefined;
        return this.#start();
      });
    return this.#queued;
  }

  #start(): Promise<number> {
    const running: Promise<number> = this.#log.horizon().finally(() => {
      if (this.#running === running) this.#running = undefined;
    });
    this.#running = running;
    return running;
  }
}
