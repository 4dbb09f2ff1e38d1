import { createTestDatabase } from 'weft/testing';
import { eventsContract } from './events.contract.js';

eventsContract('SQLite file', () => createTestDatabase({ file: true }));
