import { randomUUID } from 'node:crypto';
import type { SchemaModule } from 'kysely';
import type { Database, Migration } from '../../database/internal.js';

/** The deployment's table, for Kysely's types: one row, the id of the database's deployment. */
export interface DeploymentTables {
  /** `name` is always 'this': the key two first starts at once collide on, so both read the one id that won. */
  weft_deployment: { name: string; id: string; created_at: string };
}

/**
 * The events migration that makes the deployment's table. Its one row names this database's deployment: the NATS
 * transport marks the stream it feeds with it, and refuses a stream another deployment marked.
 */
export const deploymentMigration: Migration = {
  name: '004_deployment',
  async up(db) {
    await createDeploymentTable(db.schema);
  },
  async down(db) {
    await db.schema.dropTable('weft_deployment').execute();
  },
};

/**
 * The table, when missing. `weft serve` connects its NATS transport (which reads the id) before it migrates, so that an
 * unreachable NATS stops the start at once: whichever comes first makes it.
 */
async function createDeploymentTable(schema: SchemaModule): Promise<void> {
  await schema
    .createTable('weft_deployment')
    .ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

/** The id of the database's deployment, made on first use; every process on the database reads the same one. */
export async function deploymentIdOf(db: Pick<Database<unknown>, 'withTables'>): Promise<string> {
  const executor = db.withTables<DeploymentTables>().executor();
  await createDeploymentTable(executor.schema).catch(async (error: unknown) => {
    // Two processes making it at once on PostgreSQL: one of the two `if not exists` can still collide. Made is made.
    const made = await executor
      .selectFrom('weft_deployment')
      .select('id')
      .execute()
      .then(
        () => true,
        () => false,
      );
    if (!made) throw error;
  });
  await executor
    .insertInto('weft_deployment')
    .values({ name: 'this', id: randomUUID(), created_at: new Date().toISOString() })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await executor
    .selectFrom('weft_deployment')
    .select('id')
    .where('name', '=', 'this')
    .executeTakeFirstOrThrow();
  return row.id;
}
