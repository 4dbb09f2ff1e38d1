import { questContract } from './quest.contract.js';

questContract('SQLite file', { file: true });
