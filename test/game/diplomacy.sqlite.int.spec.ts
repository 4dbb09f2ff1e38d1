import { diplomacyContract } from './diplomacy.contract.js';

diplomacyContract('SQLite file', { file: true });
