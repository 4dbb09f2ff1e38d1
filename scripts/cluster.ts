// `npm run cluster`: three `weft serve` processes on ports 8081-8083 against one WEFT_DATABASE_URL, for a person to
// try many processes by hand (kill one, watch another take its subscriptions over). Ctrl-C stops all three.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const PORTS = [8081, 8082, 8083];
const databaseUrl = process.env.WEFT_DATABASE_URL;
if (databaseUrl === undefined || !databaseUrl.startsWith('postgres')) {
  process.stderr.write(
    'npm run cluster needs WEFT_DATABASE_URL set to a PostgreSQL URL (postgres://user@host:5432/db): ' +
      'processes share one database, and SQLite is one process’s.\n',
  );
  process.exit(2);
}

/** Starts one process and prefixes each of its lines with its port; `listening` hears when it serves. */
function serve(port: number, listening?: () => void): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    createInterface({ input: stream }).on('line', (line) => {
      process.stdout.write(`[${port}] ${line}\n`);
      if (line.includes('Server listening at')) listening?.();
    });
  }
  child.once('exit', (code, signal) => process.stdout.write(`[${port}] exited (${signal ?? String(code)})\n`));
  return child;
}

// The first alone, so it applies the migrations and makes the admin; then the others.
let first: ChildProcess | undefined;
await new Promise<void>((resolve, reject) => {
  first = serve(PORTS[0] ?? 8081, resolve);
  first.once('exit', () => reject(new Error('the first process stopped before it served; see its lines above')));
});
if (first === undefined) throw new Error('unreachable: the first process was started above');
const children = [first, ...PORTS.slice(1).map((port) => serve(port))];
const stop = (): void => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
await Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve))));
