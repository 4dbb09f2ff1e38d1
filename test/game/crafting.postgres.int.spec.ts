import { describe } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { craftingContract } from './crafting.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  craftingContract('PostgreSQL', { dialect: 'postgres' });
});
