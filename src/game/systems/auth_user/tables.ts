import type { Kysely } from 'kysely';
import type { Migration } from '../../../integration/index.js';
import { newSigningSecret } from './tokens.js';

/** The tables of the auth_user system. */
export interface AuthTables {
  auth_user_accounts: {
    id: string;
    /** Lower case: the unique key of the account. */
    username: string;
    password_hash: string;
    /** JSON array of roles. */
    roles: string;
    created_at: string;
  };
  /** A signed-in session: the family of refresh tokens one login started. Access tokens name it (`sid`). */
  auth_user_sessions: {
    id: string;
    user_id: string;
    state: 'active' | 'revoked';
    created_at: string;
    revoked_at: string | null;
  };
  /** Refresh tokens, stored hashed; `rotated` ones were used once and must never come back. */
  auth_user_refresh_tokens: {
    hash: string;
    session_id: string;
    state: 'current' | 'rotated';
    expires_at: string;
    created_at: string;
  };
  /** Failed sign-ins per username: after a few, the next tries wait. */
  auth_user_login_failures: { username: string; failures: number; locked_until: string | null };
  /** The key access tokens are signed with, made once and shared by every process on the database. */
  auth_user_keys: { name: string; secret: string; created_at: string };
}

/** Accounts, sessions, refresh tokens, sign-in failures, signing keys. */
export const authMigrations: readonly Migration[] = [
  {
    name: '001_accounts_and_sessions',
    async up(db) {
      await db.schema
        .createTable('auth_user_accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('roles', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('auth_user_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema.createIndex('auth_user_sessions_user').on('auth_user_sessions').column('user_id').execute();
      await db.schema
        .createTable('auth_user_refresh_tokens')
        .addColumn('hash', 'text', (c) => c.primaryKey())
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('auth_user_login_failures')
        .addColumn('username', 'text', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('locked_until', 'text')
        .execute();
      await db.schema
        .createTable('auth_user_keys')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db) {
      for (const table of [
        'auth_user_keys',
        'auth_user_login_failures',
        'auth_user_refresh_tokens',
        'auth_user_sessions',
        'auth_user_accounts',
      ]) {
        await db.schema.dropTable(table).execute();
      }
    },
  },
  {
    // Made with the schema rather than on first use: a process serving a read-only request (a token check) may be the
    // first of a cluster to need it, and it cannot write there. Every process reads this one row.
    name: '002_signing_key',
    async up(db) {
      await (db as Kysely<AuthTables>)
        .insertInto('auth_user_keys')
        .values({ name: 'access_tokens', secret: newSigningSecret(), created_at: new Date().toISOString() })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
    },
    async down(db) {
      await (db as Kysely<AuthTables>).deleteFrom('auth_user_keys').where('name', '=', 'access_tokens').execute();
    },
  },
];
