import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { withTenant } from '../db/tenant';
import { registerOrganization, withDatabase } from './helpers';

type Row = Record<string, unknown>;

describe('security', () => {
  it('a query without tenant context sees zero rows', async () => {
    await registerOrganization('Orphan Check');
    const counts = await withDatabase((db) =>
      db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('role', 'nitilens_app', true)`);
        return tx.execute<{ users: number; orgs: number }>(
          sql`select (select count(*) from users)::int as users, (select count(*) from organizations)::int as orgs`,
        );
      }),
    );
    expect(counts[0]).toEqual({ users: 0, orgs: 0 });
  });

  it("org B's context sees none of org A's rows, even when the query forgets the org filter", async () => {
    const a = await registerOrganization('Org A');
    const b = await registerOrganization('Org B');
    const seen = await withDatabase((db) =>
      withTenant(db, b.organization.id, (tx) => tx.execute<Row>(sql`select org_id, email from users`)),
    );
    expect(seen.map((row) => row.email)).toEqual([b.user.email]);
    expect(seen.some((row) => row.org_id === a.organization.id)).toBe(false);
    const audit = await withDatabase((db) =>
      withTenant(db, b.organization.id, (tx) => tx.execute<Row>(sql`select distinct org_id from audit_log`)),
    );
    expect(audit.map((row) => row.org_id)).toEqual([b.organization.id]);
  });

  it('the application role cannot write rows into another organization', async () => {
    const a = await registerOrganization('Org Writer A');
    const b = await registerOrganization('Org Writer B');
    const attempt = withDatabase((db) =>
      withTenant(db, b.organization.id, (tx) =>
        tx.execute(sql`insert into policies (org_id, name) values (${a.organization.id}, 'smuggled')`),
      ),
    );
    await expect(attempt).rejects.toThrow();
    const moved = await withDatabase((db) =>
      withTenant(db, b.organization.id, (tx) =>
        tx.execute(sql`update users set org_id = ${a.organization.id} where id = ${b.user.id}`),
      ),
    ).catch((error: unknown) => error);
    expect(moved).toBeInstanceOf(Error);
  });

  it('the application role cannot bypass row-level security', async () => {
    const a = await registerOrganization('Org Bypass');
    const attempts = [
      sql`set local row_security = off`,
      sql`alter table users disable row level security`,
      sql`alter table users no force row level security`,
      sql`drop policy tenant_isolation on users`,
    ];
    // Returning to the session user only escapes when that user is privileged: the embedded
    // PGlite connects everyone as a superuser; a real server (CI) uses the unprivileged worker role.
    const [session] = await withDatabase((db) =>
      db.execute<{ privileged: boolean }>(
        sql`select rolsuper or rolbypassrls as privileged from pg_roles where rolname = session_user`,
      ),
    );
    if (!session!.privileged) attempts.push(sql`reset role`, sql`select set_config('role', session_user, true)`);
    for (const attempt of attempts) {
      const outcome = await withDatabase((db) =>
        withTenant(db, a.organization.id, async (tx) => {
          await tx.execute(attempt);
          // If the statement was accepted, the tenant boundary must still hold.
          return tx.execute<{ n: number }>(sql`select count(distinct org_id)::int as n from users`);
        }),
      ).catch((error: unknown) => error);
      if (outcome instanceof Error) continue;
      expect(outcome).toEqual([{ n: 1 }]);
    }
  });

  it('the application role can neither update nor delete the audit log', async () => {
    const a = await registerOrganization('Org Audit');
    for (const statement of [
      sql`update audit_log set action = 'forged'`,
      sql`delete from audit_log`,
      sql`truncate audit_log`,
    ]) {
      const attempt = withDatabase((db) => withTenant(db, a.organization.id, (tx) => tx.execute(statement)));
      await expect(attempt.catch((error: Error) => Promise.reject(error.cause ?? error))).rejects.toThrow(
        /permission denied/,
      );
    }
  });

  it('every table with an org_id column has row-level security enabled and forced', async () => {
    const tables = await withDatabase((db) =>
      db.execute<{ table_name: string; enabled: boolean; forced: boolean }>(sql`
        select c.relname as table_name, c.relrowsecurity as enabled, c.relforcerowsecurity as forced
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind = 'r'
          and (exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'org_id' and not a.attisdropped)
               or c.relname = 'organizations')`),
    );
    expect(tables.length).toBeGreaterThanOrEqual(15);
    for (const table of tables)
      expect({ table: table.table_name, enabled: table.enabled, forced: table.forced }).toEqual({
        table: table.table_name,
        enabled: true,
        forced: true,
      });
  });
});
