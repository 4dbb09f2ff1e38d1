import { subscriptionRoutesContract } from './subscription-routes.contract.js';

subscriptionRoutesContract('SQLite file', { file: true });
