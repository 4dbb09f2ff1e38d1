export { createTestDatabase, dropSchema } from './test-database.js';
export type { TestDatabase, TestDatabaseOptions } from './test-database.js';
export { postgresAvailableForTests, postgresTestUrl } from './postgres-availability.js';
export { withRollback } from './rollback.js';
export { createTestIntegration } from './test-integration.js';
export type { TestIntegration, TestIntegrationOptions } from './test-integration.js';
