import { describe } from 'vitest';
import { createTestDatabase, postgresAvailableForTests } from 'weft/testing';
import { POSTGRES_FLUSH, databaseContract, type Tables } from './database.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  databaseContract(
    'PostgreSQL',
    (options) => createTestDatabase<Tables>({ dialect: 'postgres', options }),
    POSTGRES_FLUSH,
    {},
  );
});
