// Outside principals keyed by their issuer's exact `iss` and `sub`: two nullable columns with a unique
// index; the username becomes unique among local users only (an outside username is just displayed).
// Rows made before this (issuer null, domain = issuer host) are re-keyed at run time, see principals/outside-users.ts.
import { type Kysely, PostgresAdapter, sql } from 'kysely';

/** Created on both stores after the users table has its new shape. */
async function createIndexes(db: Kysely<any>): Promise<void> {
  // Local users (and not yet re-keyed outside ones) keep one name per domain; the CLI finds them by it.
  await db.schema.createIndex('users_local_username').on('users').columns(['domain', 'username']).unique().where(sql.ref('issuer'), 'is', null).execute();
  await db.schema.createIndex('users_issuer_subject').on('users').columns(['issuer', 'subject']).unique().execute();
  // The CLI finds an outside principal by domain and display name (not unique: renames at the issuer).
  await db.schema.createIndex('users_outside_username').on('users').columns(['domain', 'username']).where(sql.ref('issuer'), 'is not', null).execute();
}

export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    // Kysely runs each PostgreSQL migration in a transaction of its own.
    await db.schema.alterTable('users').addColumn('issuer', 'text').execute();
    await db.schema.alterTable('users').addColumn('subject', 'varchar(255)').execute();
    await db.schema.alterTable('users').dropConstraint('users_domain_username').execute();
    await createIndexes(db);
    return;
  }
  await rebuildSqliteUsers(db);
}

/**
 * SQLite cannot drop the table-level unique (domain, username) of migration 001: the table is rebuilt
 * the way the SQLite manual prescribes (foreign keys off, copy, drop, rename, check), in one
 * transaction so that a crash leaves the old table, and skipped if another process did it first.
 */
async function rebuildSqliteUsers(db: Kysely<any>): Promise<void> {
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await sql`begin immediate`.execute(db);
    try {
      const { rows } = await sql<{ n: number }>`select count(*) as n from pragma_table_info('users') where name = 'issuer'`.execute(db);
      if (Number(rows[0]?.n) === 0) {
        await db.schema
          .createTable('users_003')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('username', 'varchar(255)', (c) => c.notNull())
          .addColumn('domain', 'varchar(255)', (c) => c.notNull())
          .addColumn('org_id', 'varchar(255)', (c) => c.notNull())
          .addColumn('password_hash', 'text')
          .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('issuer', 'text')
          .addColumn('subject', 'varchar(255)')
          .execute();
        await sql`insert into users_003 (id, username, domain, org_id, password_hash, enabled, created_at)
                  select id, username, domain, org_id, password_hash, enabled, created_at from users`.execute(db);
        await sql`drop table users`.execute(db);
        await sql`alter table users_003 rename to users`.execute(db);
        await createIndexes(db);
        const { rows: broken } = await sql`pragma foreign_key_check`.execute(db);
        if (broken.length > 0) throw new Error(`users rebuild left ${broken.length} dangling foreign keys`);
      }
      await sql`commit`.execute(db);
    } catch (error) {
      await sql`rollback`.execute(db);
      throw error;
    }
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('migration 003 cannot be undone: outside principals may share a username now');
}
