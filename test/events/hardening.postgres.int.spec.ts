import { describe } from 'vitest';
import { createTestDatabase, postgresAvailableForTests } from 'weft/testing';
import { hardeningContract } from './hardening.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  hardeningContract('PostgreSQL', (options) =>
    createTestDatabase(options === undefined ? { dialect: 'postgres' } : { dialect: 'postgres', options }),
  );
});
