// The game server the browser tests drive: `weft serve` as it starts for real (startServer, a SQLite file), plus
// what a scenario needs to see on the page: alerts evaluated every 300 ms, and a durable subscription that fails each
// crafted item's first delivery (one attempt: a dead letter) and handles it when re-driven. Prints `ready <url>`.
import { MonitoringManager } from '../../src/integration/internal.js';
import { closeOnSignals, startServer } from '../../src/server/index.js';

const port = Number(process.env.CONSOLE_TEST_PORT ?? '0');
const databaseUrl = process.env.WEFT_DATABASE_URL;
const adminPassword = process.env.WEFT_ADMIN_PASSWORD;
const consoleDir = process.env.CONSOLE_TEST_BUILD;
if (databaseUrl === undefined || adminPassword === undefined || consoleDir === undefined)
  throw new Error('console-server needs WEFT_DATABASE_URL, WEFT_ADMIN_PASSWORD and CONSOLE_TEST_BUILD');

const monitoring = new MonitoringManager({
  logger: { level: 'warn' },
  processMetrics: false,
  evaluationIntervalMs: 300,
});
const server = await startServer(
  {
    port,
    host: '127.0.0.1',
    databaseUrl,
    logLevel: 'warn',
    corsOrigins: [],
    worldTickMs: 0,
    adminPassword,
    consoleDir,
  },
  monitoring,
);
const failedOnce = new Set<string>();
server.weft.system('console_test').events.subscribe(
  'crafting.item_crafted',
  (event) => {
    if (failedOnce.has(event.id)) return;
    failedOnce.add(event.id);
    throw new Error(`the workshop ledger was closed for ${event.id}`);
  },
  { name: 'workshop', retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } },
);
await server.weft.events.ready();
closeOnSignals(server, monitoring);
process.stdout.write(`ready ${server.url}\n`);
