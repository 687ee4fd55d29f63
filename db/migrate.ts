import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';

const root = fileURLToPath(new URL('..', import.meta.url));

export const WORKER_ROLE = 'nitilens_worker';

/**
 * Applies the drizzle migrations, then the idempotent roles/RLS/audit script. Runs in Node as the
 * owner. With `workerPassword`, also creates the login role the Worker should connect as through
 * Hyperdrive: no superuser, no BYPASSRLS, not the owner, member of the app and system roles
 * without inheriting them (NOINHERIT), so outside `withTenant`/`withSystem` it can read nothing.
 */
export async function applyMigrations(databaseUrl: string, options: { workerPassword?: string } = {}): Promise<void> {
  const client = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await migrate(drizzle(client), { migrationsFolder: `${root}migrations` });
    await client.unsafe(readFileSync(`${root}db/security.sql`, 'utf8'));
    if (options.workerPassword) await ensureWorkerRole(client, options.workerPassword);
  } finally {
    await client.end();
  }
}

async function ensureWorkerRole(client: postgres.Sql, password: string): Promise<void> {
  const [existing] = await client`select 1 from pg_roles where rolname = ${WORKER_ROLE}`;
  const verb = existing ? 'ALTER' : 'CREATE';
  // Role DDL takes no bind parameters; the password is quoted by Postgres' own quote_literal.
  const [row] = await client<{ literal: string }[]>`select quote_literal(${password}) as literal`;
  await client.unsafe(
    `${verb} ROLE ${WORKER_ROLE} LOGIN NOINHERIT NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB PASSWORD ${row!.literal}`,
  );
  await client.unsafe(`GRANT nitilens_app, nitilens_system TO ${WORKER_ROLE}`);
}
