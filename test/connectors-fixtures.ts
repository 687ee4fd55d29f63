import { sql } from 'drizzle-orm';
import { createConnection } from 'mysql2/promise';
import { inject } from 'vitest';
import { createDatabaseClient } from '../db/client';
import { apiJson, setPlan, withOwnerDatabase } from './helpers';

export type Run = {
  id: string;
  status: string;
  trigger: string;
  read: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  pages: number;
  cursor_before: string | null;
  cursor_after: string | null;
  row_errors: unknown[];
  error: string | null;
};

/** Statements against the customer's own database, as its owner (tables, rows, outages). */
export async function customerSql(statement: string): Promise<Record<string, unknown>[]> {
  const client = createDatabaseClient(inject('customerOwnerUrl'));
  try {
    return (await client.db.execute(sql.raw(statement))) as unknown as Record<string, unknown>[];
  } finally {
    await client.close();
  }
}

/** An organization on the plan that includes connectors. */
export async function enableConnectors(orgId: string): Promise<void> {
  await setPlan(orgId, 'enterprise');
}

/** Polls the runs until `runId` has finished. */
export async function waitForRun(token: string, connectorId: string, runId: string): Promise<Run> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const page = await apiJson('GET', `/api/connectors/${connectorId}/runs`, 200, { token });
    const run = page.items.find((item) => item.id === runId);
    if (run && (run.status === 'succeeded' || run.status === 'failed')) return run;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`run ${runId} did not finish`);
}

/** Run now, then wait for it. */
export async function runNow(token: string, connectorId: string): Promise<Run> {
  const { run_id } = await apiJson('POST', `/api/connectors/${connectorId}/run`, 202, { token });
  return waitForRun(token, connectorId, run_id);
}

/** How many transactions the organization holds. */
export async function transactionCount(orgId: string): Promise<number> {
  const [row] = await withOwnerDatabase((db) =>
    db.execute<{ n: string }>(sql`select count(*)::text as n from transactions where org_id = ${orgId}::uuid`),
  );
  return Number(row!.n);
}

/** Statements against the customer's MariaDB database, as its owner. */
export async function customerMysql(statements: string[]): Promise<void> {
  const owner = new URL(inject('customerMysqlOwnerUrl'));
  const connection = await createConnection({
    host: owner.hostname,
    port: Number(owner.port || 3306),
    user: decodeURIComponent(owner.username),
    password: decodeURIComponent(owner.password),
    database: owner.pathname.slice(1),
    disableEval: true,
  });
  try {
    for (const statement of statements) await connection.query(statement);
  } finally {
    await connection.end();
  }
}
