import { describe } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { traceContract } from './trace.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  traceContract('PostgreSQL', { dialect: 'postgres' });
});
