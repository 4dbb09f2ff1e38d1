import { describe } from 'vitest';
import { createTestDatabase, postgresAvailableForTests } from 'weft/testing';
import { stateContract } from './state.contract.js';
import { stateInputContract } from './state-input.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  // The race tests queue hundreds of transactions at once: they wait for a connection longer than a server would let a
  // request wait.
  stateContract('PostgreSQL', () =>
    createTestDatabase({ dialect: 'postgres', options: { postgres: { pool: { max: 16, connectTimeoutMs: 60_000 } } } }),
  );
  stateInputContract('PostgreSQL', () => createTestDatabase({ dialect: 'postgres' }));
});
