import { createTestDatabase } from 'weft/testing';
import { stateContract } from './state.contract.js';

stateContract('SQLite file', () => createTestDatabase({ file: true }));
