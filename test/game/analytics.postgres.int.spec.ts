import { describe } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { analyticsContract } from './analytics.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  analyticsContract('PostgreSQL', { dialect: 'postgres' });
});
