import { describe } from 'vitest';
import { createTestDatabase, postgresAvailableForTests } from 'weft/testing';
import { subscriptionRebuildContract } from './subscription-rebuild.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  subscriptionRebuildContract('PostgreSQL', () => createTestDatabase({ dialect: 'postgres' }));
});
