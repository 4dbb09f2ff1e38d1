import { combatContract } from './combat.contract.js';

combatContract('SQLite file', { file: true });
