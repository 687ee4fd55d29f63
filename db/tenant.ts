import { type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import { type Database, type TransactionLimits, transactionLimitsOf } from './client';
import { utcText } from './text';

export type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The one way to touch tenant data: a short transaction in the organization's context, under the
 * application role, so row-level security holds even on a superuser connection.
 */
export async function withTenant<T>(
  db: Database,
  orgId: string,
  work: (tx: Tx) => Promise<T>,
  limits?: TransactionLimits,
): Promise<T> {
  return committed(db, async (tx) => {
    await tx.execute(sql`select ${enterTenant(uuidLiteral(orgId))}, ${limitsOf(limits ?? transactionLimitsOf(db))}`);
    return work(tx);
  });
}

const afterCommitWork = new WeakMap<Tx, (() => void)[]>();

/**
 * Runs `effect` once the transaction commits, and never if it rolls back: for in-memory effects
 * that must count a change exactly once (metrics), not for I/O (a crash after commit loses them).
 */
export function afterCommit(tx: Tx, effect: () => void): void {
  const effects = afterCommitWork.get(tx);
  if (effects) effects.push(effect);
  else afterCommitWork.set(tx, [effect]);
}

/** `db.transaction`, then the transaction's `afterCommit` effects. */
async function committed<T>(db: Database, work: (tx: Tx) => Promise<T>): Promise<T> {
  let transaction: Tx | undefined;
  const result = await db.transaction((tx) => {
    transaction = tx;
    return work(tx);
  });
  for (const effect of (transaction && afterCommitWork.get(transaction)) ?? []) effect();
  return result;
}

/**
 * The select-list item that puts the transaction in an organization's tenant context: its id
 * (`orgId`, a literal or a column of a row being read) and the application role.
 * JIT off: tenant statements are short, or rule windows whose subqueries inflate plan costs past
 * jit_above_cost; compiling those took longer (~0.5 s a scan statement) than running them.
 */
export function enterTenant(orgId: SQLWrapper): SQL {
  // One expression (a select-list item of its own in a lookup); concat evaluates every argument.
  return sql`concat(set_config('app.org_id', (${orgId})::text, true), set_config('role', 'nitilens_app', true), set_config('jit', 'off', true))`;
}

/**
 * A tenant transaction for a request that names a resource, not an organization (a webhook names
 * its source). `find` runs as the system role and reads that resource with `enterTenant(<its
 * org_id column>)` in the same select list, so a row found leaves the transaction in its
 * organization's context; `work` then runs there. One database transaction where a system lookup
 * and a tenant transaction would cost a begin, a commit and a context switch more.
 * If `find` returned a row without entering its tenant context, `work` would run as the system
 * role, which can only read: it fails closed.
 */
export async function withTenantFoundBy<F, T>(
  db: Database,
  find: (tx: Tx) => Promise<F | undefined>,
  work: (tx: Tx, found: F) => Promise<T>,
  limits?: TransactionLimits,
): Promise<T | undefined> {
  return committed(db, async (tx) => {
    // Awaited on its own: the role must be in place before find's statements are even parsed, and
    // postgres.js sends concurrently issued statements in no order callers can rely on.
    // Not read-only: `work` writes, and the system role's grants let it do nothing but select.
    await tx.execute(sql`select ${enterSystem}, ${limitsOf(limits ?? transactionLimitsOf(db))}`);
    const found = await find(tx);
    return found === undefined ? undefined : work(tx, found);
  });
}

/**
 * Read-only lookups that must cross organizations (login by email, token by hash, source by id).
 * Read-only is set in the same statement as the role (a round trip fewer than SET TRANSACTION).
 */
export async function withSystem<T>(
  db: Database,
  work: (tx: Tx) => Promise<T>,
  limits?: TransactionLimits,
): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(
      sql`select ${enterSystem}, set_config('transaction_read_only', 'on', true), ${limitsOf(limits ?? transactionLimitsOf(db))}`,
    );
    return work(tx);
  });
}

/**
 * The select-list item that sets a transaction's limits (local to it: a pooled connection keeps
 * none). Written as literals, not bound: numbers from the constants above only.
 */
export function limitsOf(limits: TransactionLimits): SQL {
  const ms = (value: number) => sql.raw(`'${Math.trunc(value)}ms'`);
  return sql`concat(set_config('statement_timeout', ${ms(limits.statementMs)}, true), set_config('lock_timeout', ${ms(limits.lockMs)}, true), set_config('idle_in_transaction_session_timeout', ${ms(limits.idleMs)}, true))`;
}

/** The select-list item that makes the transaction the system role (its grants: select on what cross-organization lookups need). */
const enterSystem = sql`set_config('role', 'nitilens_system', true)`;

/**
 * A uuid written into the statement instead of bound, so the statement goes in one round trip
 * (docs/architecture.md, Round trips). Only a value with the uuid syntax passes, so it cannot inject.
 */
export function uuidLiteral(id: string): SQL {
  if (!UUID.test(id)) throw new Error(`not a uuid: ${JSON.stringify(id).slice(0, 80)}`);
  return sql.raw(`'${id}'`);
}

/**
 * A uuid[] written into the statement, as `uuidLiteral` writes one uuid. Beside a join to a
 * `jsonb_to_recordset` by id, `t.id = any(uuidArray(ids))` keeps the statement an index lookup per
 * row: on the join alone the planner (guessing 100 rows for the recordset, and few for the
 * organization while a table grows faster than its statistics) hashed every row of the
 * organization on each call: 7 ms a call at 40,000 violations in a scan, and growing with them.
 */
export function uuidArray(ids: readonly string[]): SQL {
  for (const id of ids) if (!UUID.test(id)) throw new Error(`not a uuid: ${JSON.stringify(id).slice(0, 80)}`);
  return sql.raw(`'{${ids.join(',')}}'::uuid[]`);
}

/**
 * The database's clock, for a stored time computed in the Worker from "now" (a schedule's next
 * run): one clock for every stored timestamp, whatever the isolate's.
 */
export async function databaseNow(tx: Tx): Promise<Date> {
  const [row] = await tx.execute<{ now: string }>(sql`select ${utcText(sql`now()`)} as now`);
  return new Date(row!.now);
}
