import { describe } from 'vitest';
import { createTestDatabase, postgresAvailableForTests } from 'weft/testing';
import { natsProcessesContract } from './nats-processes.contract.js';
import { natsAvailableForTests } from './nats-test-server.js';

describe.runIf((await natsAvailableForTests()) && (await postgresAvailableForTests()))('NATS and PostgreSQL', () => {
  natsProcessesContract('PostgreSQL', () => createTestDatabase({ dialect: 'postgres' }));
});
