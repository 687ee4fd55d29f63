import { sql, type SQL } from 'drizzle-orm';
import type { Database } from './client';

export type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The one way to touch tenant data: a short transaction in the organization's context, under the
 * application role, so row-level security holds even on a superuser connection.
 */
export async function withTenant<T>(db: Database, orgId: string, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    // JIT off: tenant statements are short, or rule windows whose subqueries inflate plan costs past
    // jit_above_cost; compiling those took longer (~0.5 s a scan statement) than running them.
    await tx.execute(sql`select set_config('app.org_id', ${uuidLiteral(orgId)}, true), set_config('role', 'nitilens_app', true),
      set_config('jit', 'off', true)`);
    return work(tx);
  });
}

/**
 * Read-only lookups that must cross organizations (login by email, token by hash, source by id).
 * Read-only is set in the same statement as the role (a round trip fewer than SET TRANSACTION).
 */
export async function withSystem<T>(db: Database, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select set_config('role', 'nitilens_system', true), set_config('transaction_read_only', 'on', true)`);
    return work(tx);
  });
}

/**
 * A uuid written into the statement instead of bound: postgres.js asks Postgres for the types of a
 * statement's parameters before running it, so a statement without parameters costs one round
 * trip instead of two. Only ever a value that matches the uuid syntax, so it cannot inject.
 */
export function uuidLiteral(id: string): SQL {
  if (!UUID.test(id)) throw new Error(`not a uuid: ${JSON.stringify(id).slice(0, 80)}`);
  return sql.raw(`'${id}'`);
}
