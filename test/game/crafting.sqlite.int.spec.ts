import { craftingContract } from './crafting.contract.js';

craftingContract('SQLite file', { file: true });
