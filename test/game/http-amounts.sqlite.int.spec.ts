import { httpAmountsContract } from './http-amounts.contract.js';

httpAmountsContract('SQLite file', { file: true });
