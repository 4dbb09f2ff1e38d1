import { describe } from 'vitest';
import { createTestDatabase } from 'weft/testing';
import { natsProcessesContract } from './nats-processes.contract.js';
import { natsAvailableForTests } from './nats-test-server.js';

describe.runIf(await natsAvailableForTests())('NATS', () => {
  natsProcessesContract('a SQLite file', () => createTestDatabase({ file: true }));
});
