import { describe } from 'vitest';
import { createTestDatabase, postgresAvailableForTests } from 'weft/testing';
import { eventsContract } from './events.contract.js';
import { natsAvailableForTests, natsTransportsPerTest } from './nats-test-server.js';

describe.runIf((await natsAvailableForTests()) && (await postgresAvailableForTests()))('NATS and PostgreSQL', () => {
  eventsContract(
    'PostgreSQL, NATS JetStream transport',
    () => createTestDatabase({ dialect: 'postgres' }),
    natsTransportsPerTest(),
  );
});
