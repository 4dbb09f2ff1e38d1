import { economyContract } from './economy.contract.js';

economyContract('SQLite file', { file: true });
