import { existsSync } from 'node:fs';
import { describe, it } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { NATS_SERVER } from './nats-server-process.js';
import { handlersFailing, natsKilled, networkCut, type Measured } from './scenarios.js';
import { SIZES } from './sizes.js';

/**
 * Whether the fault tests can run: PostgreSQL reachable and nats-server installed. With CI=true either missing is a
 * failure, never a skip; otherwise one loud line, and false.
 */
async function available(): Promise<boolean> {
  if (!existsSync(NATS_SERVER)) {
    const line = `${NATS_SERVER} is not installed (apt-get install nats-server)`;
    if (process.env.CI === 'true') throw new Error(`${line}; CI=true, so the fault tests fail instead of skipping.`);
    process.stderr.write(`\n!!! SKIPPING FAULT TESTS: ${line}. Set CI=true to make this a failure.\n\n`);
    return false;
  }
  return postgresAvailableForTests();
}

function report(name: string, measured: Measured): void {
  process.stdout.write(`chaos ${name}: ${JSON.stringify(measured)}\n`);
}

/** Registers the four fault scenarios at one size: the same bodies for the e2e tier and for `npm run chaos`. */
export async function faultScenarios(size: keyof typeof SIZES): Promise<void> {
  const sized = SIZES[size];
  const slack = 120_000;
  describe.runIf(await available())(`faults of NATS, the network and handlers (${size})`, () => {
    it(
      'keeps every event once and in order while NATS is killed with SIGKILL',
      { timeout: sized.natsKilled.timeoutMs + slack },
      async () => report('nats killed', await natsKilled(sized.natsKilled)),
    );
    it(
      'resumes within 5 s of a cut to NATS, with readiness naming NATS meanwhile',
      { timeout: sized.natsCut.timeoutMs + slack },
      async () => report('nats cut', await networkCut('nats', sized.natsCut)),
    );
    it(
      'resumes within 5 s of a cut to PostgreSQL, with readiness naming the database meanwhile',
      { timeout: sized.postgresCut.timeoutMs + slack },
      async () => report('postgres cut', await networkCut('postgres', sized.postgresCut)),
    );
    it(
      'dead-letters the events of failing handler calls and re-drives them to one effect each',
      { timeout: sized.handlersFailing.timeoutMs + slack },
      async () => report('handlers failing', await handlersFailing(sized.handlersFailing)),
    );
  });
}
