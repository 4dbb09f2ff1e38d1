import { describe, it } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { handlersFailing, natsKilled, networkCut, type Measured } from './scenarios.js';
import { SIZES } from './sizes.js';

/** Whether the fault tests can run: PostgreSQL reachable (with CI=true a failure, never a skip) and nats-server there. */
async function available(): Promise<boolean> {
  return process.env.CI === 'true' || (await postgresAvailableForTests());
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
