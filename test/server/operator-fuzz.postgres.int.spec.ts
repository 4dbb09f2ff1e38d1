import { describe } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { operatorFuzzContract } from './operator-fuzz.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  operatorFuzzContract('PostgreSQL', { dialect: 'postgres' }, 600);
});
