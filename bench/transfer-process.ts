// Starting the transfer benchmark's child processes (a peer's server, the load generator) and talking to them in
// JSON lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A child process of the benchmark: the next line it prints, a line to send it, and its end. */
export interface Child {
  /** The next line on its stdout, parsed as JSON; rejects if it exits first. */
  next<T>(): Promise<T>;
  send(line: string): void;
  /** Closes its stdin and waits for it to exit; rejects unless it exits with 0. */
  finish(): Promise<void>;
}

/**
 * Starts `node <args of node> bench/<script> <args>` (the compiled script beside this file); its stderr goes to ours.
 */
export function startChild(script: string, args: readonly string[], nodeArgs: readonly string[] = []): Child {
  const entry = fileURLToPath(new URL(`./${script}`, import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, entry, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let waiting: { resolve: (line: string) => void; reject: (error: Error) => void } | undefined;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      waiting?.reject(new Error(`${script} ${args.join(' ')} exited (${signal ?? `code ${String(code)}`})`));
      waiting = undefined;
      resolve();
    }),
  );
  if (child.stdout === null) throw new Error(`${script}: no stdout to read`);
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (waiting === undefined) lines.push(line);
    else {
      waiting.resolve(line);
      waiting = undefined;
    }
  });
  return {
    async next<T>() {
      const queued = lines.shift();
      if (queued !== undefined) return JSON.parse(queued) as T;
      if (exit !== undefined) throw new Error(`${script} ${args.join(' ')} has exited`);
      const line = await new Promise<string>((resolve, reject) => {
        waiting = { resolve, reject };
      });
      return JSON.parse(line) as T;
    },
    send(line) {
      child.stdin?.write(`${line}\n`);
    },
    async finish() {
      child.stdin?.end();
      await exited;
      if (exit?.code !== 0) throw new Error(`${script} ${args.join(' ')} ended with ${exit?.signal ?? exit?.code}`);
    },
  };
}
