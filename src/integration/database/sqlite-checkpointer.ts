import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** What a checkpoint reported: WAL frames in the log, and how many of them are copied into the database file. */
interface CheckpointReport {
  readonly log: number;
  readonly checkpointed: number;
}

/** A message from the worker: a checkpoint's report, or the error it met. */
type WorkerReply = { readonly report: CheckpointReport } | { readonly error: string };

// The flags the two threads share: main sets STOP; the worker holds BUSY while a checkpoint runs.
const STOP = 0;
const BUSY = 1;

/**
 * The worker (CommonJS, as an `eval` worker is): a connection of its own to the database file, which runs a PASSIVE
 * checkpoint each time it is asked, never while STOP is set, with BUSY held meanwhile.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const flags = new Int32Array(workerData.flags);
const describe = (error) => String((error && error.stack) || error);
let db;
try {
  db = new Database(workerData.filename, { timeout: workerData.busyTimeoutMs });
  db.pragma('synchronous = ' + workerData.synchronous);
  db.pragma('wal_autocheckpoint = 0');
} catch (error) {
  parentPort.postMessage({ error: describe(error) });
}
parentPort.on('message', (message) => {
  if (message === 'close') {
    if (db && db.open) db.close();
    parentPort.close();
    return;
  }
  if (!db || !db.open) return;
  Atomics.store(flags, ${BUSY}, 1);
  try {
    if (Atomics.load(flags, ${STOP}) === 1) return;
    const [row] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ report: { log: row.log, checkpointed: row.checkpointed } });
  } catch (error) {
    parentPort.postMessage({ error: describe(error) });
  } finally {
    Atomics.store(flags, ${BUSY}, 0);
    Atomics.notify(flags, ${BUSY});
  }
});
`;

/** How a SqliteCheckpointer is set up. */
export interface CheckpointerSettings {
  /** The database file's absolute path. */
  readonly path: string;
  readonly synchronous: string;
  readonly busyTimeoutMs: number;
  /** WAL frames past which the next write waits until the WAL is copied back whole (so that write starts it over). */
  readonly walLimitFrames: number;
  /** The checkpointer stopped for good (its worker failed, or `stop`): the connection checkpoints by itself again. */
  readonly onStopped: (error: Error | undefined) => void;
}

/**
 * Checkpoints a SQLite database's WAL from a worker thread with a connection of its own, in place of the automatic
 * checkpoint SQLite runs inside the COMMIT that passes `wal_autocheckpoint` pages: that one copies about a thousand
 * pages back into the database file on the event loop, every two or three commit groups of the game's transfers
 * (`npm run bench -- transfer`, weft-full). After each write the worker copies what is in the WAL (PASSIVE: never
 * waiting for the writer or readers). The WAL starts over only at a write that begins when it is all copied back,
 * which a busy writer never leaves time for: so once the WAL has grown past `walLimitFrames`, the next write waits
 * (the event loop does not) until a checkpoint has copied it all.
 */
export class SqliteCheckpointer {
  readonly #settings: CheckpointerSettings;
  readonly #flags = new Int32Array(new SharedArrayBuffer(8));
  readonly #worker: Worker;
  #inFlight = false;
  #again = false;
  /** Waiting for the checkpoint in flight; waiting for the one after it. */
  #current: Array<() => void> = [];
  #next: Array<() => void> = [];
  #walFull = false;
  #stopped = false;
  #closed: Promise<void> | undefined;

  constructor(settings: CheckpointerSettings) {
    this.#settings = settings;
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
        filename: settings.path,
        synchronous: settings.synchronous,
        busyTimeoutMs: settings.busyTimeoutMs,
        flags: this.#flags.buffer,
      },
    });
    // A checkpoint in flight must not keep the process alive; close() waits for the worker.
    this.#worker.unref();
    this.#worker.on('message', (reply: WorkerReply) => this.#replied(reply));
    this.#worker.on('error', (error) => this.#fail(new Error('the checkpoint worker failed', { cause: error })));
    this.#worker.on('exit', (code) => {
      if (this.#closed === undefined) this.#fail(new Error(`the checkpoint worker exited (code ${code})`));
    });
  }

  /** A write ended: the worker copies the WAL back (a request made while one runs is served once, after it). */
  afterWrite(): void {
    if (this.#stopped) return;
    if (this.#inFlight) this.#again = true;
    else this.#post();
  }

  /** Before a transaction takes the connection: a promise to await when the WAL is past its limit, else undefined. */
  beforeWrite(): Promise<void> | undefined {
    if (!this.#walFull || this.#stopped) return undefined;
    return new Promise((resolve) => {
      // A checkpoint already running may have started before the last write: wait for one that starts now.
      if (this.#inFlight) {
        this.#next.push(resolve);
        this.#again = true;
      } else {
        this.#current.push(resolve);
        this.#post();
      }
    });
  }

  /**
   * Stops for good and returns once no checkpoint runs (blocking the thread, at most as long as one checkpoint takes):
   * for the deleted-file guard, which empties the WAL from the main connection right after.
   */
  stopNow(): void {
    Atomics.store(this.#flags, STOP, 1);
    while (Atomics.load(this.#flags, BUSY) === 1) Atomics.wait(this.#flags, BUSY, 1, 100);
    this.#stop(undefined);
  }

  /** Closes the worker's connection and ends the worker. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#stop(undefined);
      this.#worker.once('exit', () => resolve());
      // Held by the worker until it has closed: an unreferenced one would let the process end (or a top-level await
      // of `db.close()` fail with exit code 13) before its connection is closed.
      this.#worker.ref();
      this.#worker.postMessage('close');
    });
    return this.#closed;
  }

  #post(): void {
    this.#inFlight = true;
    this.#worker.postMessage('checkpoint');
  }

  #replied(reply: WorkerReply): void {
    this.#inFlight = false;
    if (this.#stopped) return;
    const served = this.#current;
    this.#current = this.#next;
    this.#next = [];
    if ('error' in reply) {
      this.#fail(new Error(`a WAL checkpoint failed: ${reply.error}`));
      return;
    }
    // One that ran while the writer waited copied the WAL back (whole, unless a reader of another process holds an
    // older snapshot: then writes go on, and wait again once the WAL passes its limit anew); the next write starts it
    // over. Any other tells how long the WAL has grown, copied or not: the writer never waited for it to start over.
    if (served.length > 0) this.#walFull = false;
    else if (reply.report.log >= this.#settings.walLimitFrames) this.#walFull = true;
    for (const resolve of served) resolve();
    if (this.#again || this.#current.length > 0) {
      this.#again = false;
      this.#post();
    }
  }

  #fail(error: Error): void {
    this.#stop(error);
    // Asked to close rather than terminated: a worker stopped inside a better-sqlite3 call that then throws (as one
    // on a file that is no database does) takes the whole process down.
    this.#worker.postMessage('close');
  }

  #stop(error: Error | undefined): void {
    if (this.#stopped) return;
    this.#stopped = true;
    Atomics.store(this.#flags, STOP, 1);
    for (const resolve of [...this.#current, ...this.#next]) resolve();
    this.#current = [];
    this.#next = [];
    this.#settings.onStopped(error);
  }
}
