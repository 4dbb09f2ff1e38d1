import { describe } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { httpFuzzContract } from './http-fuzz.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  httpFuzzContract('PostgreSQL', { dialect: 'postgres' }, { valid: 3, mutated: 12 });
});
