import { describe } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { economyContract } from './economy.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  economyContract('PostgreSQL', { dialect: 'postgres' });
});
