import { describe } from 'vitest';
import { createTestDatabase, postgresAvailableForTests } from 'weft/testing';
import { subscriptionLeaseContract } from './subscription-lease.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  subscriptionLeaseContract('PostgreSQL', () => createTestDatabase({ dialect: 'postgres' }));
});
