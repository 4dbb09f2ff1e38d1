import { consoleRoutesContract } from './console-routes.contract.js';

consoleRoutesContract('SQLite file', { file: true });
