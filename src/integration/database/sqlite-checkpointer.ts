import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * A message from the worker: a checkpoint that ran while a write waited for the whole WAL (`whole`), or the error it
 * met. That the WAL is past its limit is a shared flag (FULL), not a message: the worker judges the limit; main needs
 * no figures.
 */
type WorkerReply = { readonly checkpoint: 'whole' } | { readonly error: string };

// The flags the two threads share. Main sets STOP, counts its writes in WRITES and sets WHOLE when a write waits for
// the whole WAL to be copied back; the worker holds BUSY while a checkpoint runs, and sets FULL when it found the WAL
// past its limit (cleared once copied back whole). FULL was a message: main read it only once its event loop came
// round, and a run of writes that never yielded to it grew the WAL past its bound (sqlite-checkpointer.int.spec.ts,
// under load). No message per write: a first version
// posted one and ran a checkpoint after each write, and 30 µs transactions one at a time paid for both (`npm run bench
// -- database`: 1.76x a bare Kysely insert, 1.00-1.12x now).
const STOP = 0;
const BUSY = 1;
const WRITES = 2;
const WHOLE = 3;
/** An index nobody changes: the worker waits on it to pause. */
const PAUSE = 4;
const FULL = 5;
/** While writes gather, the worker looks at their count this often (ms)... */
const STEP_MS = 5;
/** ...and checkpoints at once after this many: a stream of small transactions would grow the WAL past its limit. */
const BURST_WRITES = 200;

/**
 * The worker (CommonJS, as an `eval` worker is): a connection of its own to the database file. It sleeps until main
 * writes, lets writes gather for `intervalMs`, then runs one PASSIVE checkpoint; at once when a write waits for the
 * whole WAL. It reports a checkpoint only when the WAL is past its limit or a write waits, so main hears of few.
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
let seen = Atomics.load(flags, ${WRITES});
while (db && Atomics.load(flags, ${STOP}) === 0) {
  if (Atomics.load(flags, ${WHOLE}) === 0) {
    Atomics.wait(flags, ${WRITES}, seen, 1000);
    if (Atomics.load(flags, ${WRITES}) === seen && Atomics.load(flags, ${WHOLE}) === 0) continue;
    // Writes gather for intervalMs, in steps: a burst of many writes is copied back sooner, so the WAL stays short.
    const since = seen;
    for (let waited = 0; waited < workerData.intervalMs; waited += ${STEP_MS}) {
      if (Atomics.load(flags, ${WHOLE}) === 1 || Atomics.load(flags, ${STOP}) === 1) break;
      if (((Atomics.load(flags, ${WRITES}) - since) | 0) >= ${BURST_WRITES}) break;
      Atomics.wait(flags, ${PAUSE}, 0, ${STEP_MS});
    }
  }
  seen = Atomics.load(flags, ${WRITES});
  const whole = Atomics.load(flags, ${WHOLE}) === 1;
  Atomics.store(flags, ${BUSY}, 1);
  try {
    if (Atomics.load(flags, ${STOP}) === 1) break;
    const [row] = db.pragma('wal_checkpoint(PASSIVE)');
    if (whole) {
      Atomics.store(flags, ${WHOLE}, 0);
      Atomics.store(flags, ${FULL}, 0);
      parentPort.postMessage({ checkpoint: 'whole' });
    } else if (row.log >= workerData.walLimitFrames) Atomics.store(flags, ${FULL}, 1);
  } catch (error) {
    parentPort.postMessage({ error: describe(error) });
    break;
  } finally {
    Atomics.store(flags, ${BUSY}, 0);
    Atomics.notify(flags, ${BUSY});
  }
}
if (db && db.open) db.close();
`;

/** How a SqliteCheckpointer is set up. */
export interface CheckpointerSettings {
  /** The database file's absolute path. */
  readonly path: string;
  readonly synchronous: string;
  readonly busyTimeoutMs: number;
  /** WAL frames past which the next write waits until the WAL is copied back whole (so that write starts it over). */
  readonly walLimitFrames: number;
  /** How long the worker lets writes gather before a checkpoint. */
  readonly intervalMs: number;
  /** The checkpointer stopped for good (its worker failed, or `stop`): the connection checkpoints by itself again. */
  readonly onStopped: (error: Error | undefined) => void;
}

/**
 * Checkpoints a SQLite database's WAL from a worker thread with a connection of its own, in place of the automatic
 * checkpoint SQLite runs inside the COMMIT that passes `wal_autocheckpoint` pages: that one copies about a thousand
 * pages back into the database file on the event loop, inside one commit group in seven of the transfers (`npm run
 * bench -- transfer`: half of the COMMIT's time). The worker copies what is in the WAL once per `intervalMs` while
 * writes come, sooner after a burst of them (PASSIVE: never waiting for the writer or readers). The WAL starts over
 * only at a write that begins when it is all copied back, which a busy writer never leaves time for: so once the WAL
 * has grown past `walLimitFrames`, the next write waits (the event loop does not) until a checkpoint has copied it
 * all.
 */
export class SqliteCheckpointer {
  readonly #settings: CheckpointerSettings;
  readonly #flags = new Int32Array(new SharedArrayBuffer(4 * 6));
  readonly #worker: Worker;
  /** Writes waiting for the whole WAL to be copied back. */
  #waiting: Array<() => void> = [];
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
        walLimitFrames: settings.walLimitFrames,
        intervalMs: settings.intervalMs,
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

  /** A write ended: counted where the worker sees it, which wakes it. */
  afterWrite(): void {
    if (this.#stopped) return;
    Atomics.add(this.#flags, WRITES, 1);
    Atomics.notify(this.#flags, WRITES);
  }

  /** Before a transaction takes the connection: a promise to await when the WAL is past its limit, else undefined. */
  beforeWrite(): Promise<void> | undefined {
    if (Atomics.load(this.#flags, FULL) === 0 || this.#stopped) return undefined;
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      if (this.#waiting.length > 1) return;
      Atomics.store(this.#flags, WHOLE, 1);
      Atomics.add(this.#flags, WRITES, 1);
      Atomics.notify(this.#flags, WRITES);
      Atomics.notify(this.#flags, PAUSE);
    });
  }

  /**
   * Stops for good and returns once no checkpoint runs (blocking the thread, at most as long as one checkpoint takes):
   * for the deleted-file guard, which empties the WAL from the main connection right after.
   */
  stopNow(): void {
    this.#signalStop();
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
      this.#signalStop();
    });
    return this.#closed;
  }

  #replied(reply: WorkerReply): void {
    if (this.#stopped) return;
    if ('error' in reply) {
      this.#fail(new Error(`a WAL checkpoint failed: ${reply.error}`));
      return;
    }
    // One that ran while a write waited copied the WAL back (whole, unless a reader of another process holds an older
    // snapshot: then writes go on, and wait again once the WAL passes its limit anew); that write starts it over.
    const served = this.#waiting;
    this.#waiting = [];
    for (const resolve of served) resolve();
  }

  /** Asks the worker to stop (it closes its connection and ends): a flag, since it never reads messages. */
  #signalStop(): void {
    Atomics.store(this.#flags, STOP, 1);
    Atomics.notify(this.#flags, WRITES);
    Atomics.notify(this.#flags, PAUSE);
  }

  #fail(error: Error): void {
    // Asked to stop rather than terminated: a worker stopped inside a better-sqlite3 call that then throws (as one on a
    // file that is no database does) takes the whole process down.
    this.#signalStop();
    this.#stop(error);
  }

  #stop(error: Error | undefined): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const resolve of this.#waiting) resolve();
    this.#waiting = [];
    this.#settings.onStopped(error);
  }
}
