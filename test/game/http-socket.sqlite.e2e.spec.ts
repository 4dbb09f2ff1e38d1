import { httpSocketContract } from './http-socket.contract.js';

httpSocketContract('SQLite file', { file: true });
