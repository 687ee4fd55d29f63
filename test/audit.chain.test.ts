import { type SQL, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { apiJson, registerOrganization, withOwnerDatabase } from './helpers';

type Row = { id: string; seq: number };

/** A privileged insider (the database owner), the only one able to touch audit_log rows. */
async function asOwner(statements: SQL[]): Promise<void> {
  await withOwnerDatabase(async (db) => {
    for (const statement of statements) await db.execute(statement);
  });
}

/** An organization with a five-row trail: registration and four sign-ins. */
async function organizationWithTrail(name: string) {
  const admin = await registerOrganization(name);
  for (let i = 0; i < 4; i++)
    await apiJson('POST', '/api/auth/login', 200, { body: { email: admin.user.email, password: admin.password } });
  const page = await apiJson('GET', '/api/audit', 200, { token: admin.access_token });
  const bySeq = new Map(page.items.map((row) => [row.seq, row]));
  return { admin, row: (seq: number) => bySeq.get(seq)! };
}

const tamperings: [string, (row: Row) => SQL[], number, string][] = [
  [
    'an altered action',
    (row) => [sql`update audit_log set action = 'auth.logout' where id = ${row.id}`],
    3,
    'hash_mismatch',
  ],
  [
    'altered details',
    (row) => [sql`update audit_log set details = '{"forged": true}' where id = ${row.id}`],
    3,
    'hash_mismatch',
  ],
  [
    'an altered time',
    (row) => [sql`update audit_log set created_at = created_at - interval '1 day' where id = ${row.id}`],
    3,
    'hash_mismatch',
  ],
  [
    'an altered row whose own hash was recomputed',
    (row) => [
      sql`update audit_log set action = 'auth.logout' where id = ${row.id}`,
      sql`update audit_log a set hash = audit_digest(a.prev_hash, a) where id = ${row.id}`,
    ],
    4,
    'prev_hash_mismatch',
  ],
  ['a deleted row', (row) => [sql`delete from audit_log where id = ${row.id}`], 4, 'sequence_gap'],
];

describe('security', () => {
  it.each(tamperings)(
    '%s is detected at exactly the row where the chain breaks',
    async (name, tamper, brokenSeq, reason) => {
      const { admin, row } = await organizationWithTrail(`Audit Tamper ${name}`);
      expect(await apiJson('GET', '/api/audit/verify', 200, { token: admin.access_token })).toEqual({
        valid: true,
        rows: 5,
      });
      await asOwner(tamper(row(3)));
      const verdict = await apiJson('GET', '/api/audit/verify', 200, { token: admin.access_token });
      expect(verdict).toEqual({
        valid: false,
        rows: reason === 'sequence_gap' ? 4 : 5,
        first_broken: { seq: brokenSeq, id: row(brokenSeq).id, reason },
      });
    },
  );

  it("tampering in one organization leaves another organization's chain valid", async () => {
    const a = await organizationWithTrail('Audit Tamper Isolation A');
    const b = await organizationWithTrail('Audit Tamper Isolation B');
    await asOwner([sql`update audit_log set action = 'forged' where id = ${a.row(2).id}`]);
    expect(await apiJson('GET', '/api/audit/verify', 200, { token: b.admin.access_token })).toEqual({
      valid: true,
      rows: 5,
    });
  });
});
