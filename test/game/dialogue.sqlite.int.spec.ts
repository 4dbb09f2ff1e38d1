import { dialogueContract } from './dialogue.contract.js';

dialogueContract('SQLite file', { file: true });
