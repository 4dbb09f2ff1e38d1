// The crash test's worker: the demo's session, over and over, against a server of its own on WEFT_DATABASE_URL. It
// prints one line per completed step (the test kills it with SIGKILL after a random number of them), and a line
// "session N done" after each whole session.
import { randomBytes } from 'node:crypto';
import { DemoClient } from '../../src/cli/demo-client.js';
import { startDemoServer } from '../../src/cli/demo.js';
import { playSession } from '../../src/cli/demo-session.js';

// Started ahead of its turn by the test, with the modules loaded: it serves once told `go` on stdin, and ends unused
// when the test goes away (stdin closed).
process.stdin.once('end', () => process.exit(0));
await new Promise((resolve) => process.stdin.once('data', resolve));
const target = await startDemoServer(process.env);
const client = new DemoClient(target.url);
process.stdout.write('started\n');
// Names unique across the workers that share the database: each started anew after a kill.
const run = randomBytes(3).toString('hex');
for (let session = 1; ; session++) {
  await playSession(client, { ann: `Ann ${run} ${session}`, bob: `Bob ${run} ${session}` }, (line) =>
    process.stdout.write(`step ${line}\n`),
  );
  process.stdout.write(`session ${session} done\n`);
}
