import { authUserContract } from './auth-user.contract.js';

authUserContract('SQLite file', { file: true });
