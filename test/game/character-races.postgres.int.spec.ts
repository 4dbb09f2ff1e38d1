import { describe } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { characterRacesContract } from './character-races.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  characterRacesContract('PostgreSQL', { dialect: 'postgres' });
});
