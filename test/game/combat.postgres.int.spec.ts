import { describe } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { combatContract } from './combat.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  combatContract('PostgreSQL', { dialect: 'postgres' });
});
