import { describe } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { dialogueContract } from './dialogue.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  dialogueContract('PostgreSQL', { dialect: 'postgres' });
});
