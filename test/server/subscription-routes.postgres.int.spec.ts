import { describe } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { subscriptionRoutesContract } from './subscription-routes.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  subscriptionRoutesContract('PostgreSQL', { dialect: 'postgres' });
});
