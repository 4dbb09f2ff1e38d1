import { withSqliteFile } from '../crash-worker.js';
import { gameCrashContract } from './crash.contract.js';

gameCrashContract('SQLite file', withSqliteFile);
