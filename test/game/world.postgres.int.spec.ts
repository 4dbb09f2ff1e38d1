import { describe } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { worldContract } from './world.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  worldContract('PostgreSQL', { dialect: 'postgres' });
});
