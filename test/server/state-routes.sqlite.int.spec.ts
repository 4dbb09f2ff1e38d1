import { stateRoutesContract } from './state-routes.contract.js';

stateRoutesContract('SQLite file', { file: true });
