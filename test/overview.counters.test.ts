import { type SQL, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { withTenant } from '../db/tenant';
import { api, apiJson, approvedRule, registerOrganization, type Session, withDatabase } from './helpers';
import { insertTransactions, waitForScan } from './rules-fixtures';

// Zones whose midnight is not a whole UTC hour, and both ends of the offsets.
const ZONES = ['UTC', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/St_Johns', 'Pacific/Kiritimati', 'Pacific/Niue'];

type Counter = { kind: string; at: string; key: string; n: number };

/** The counters as the triggers kept them, without zeros. */
async function storedCounters(orgId: string): Promise<Counter[]> {
  return withDatabase((db) =>
    withTenant(db, orgId, (tx) =>
      tx.execute<Counter>(sql`
        select kind, to_char(at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as at, key, n from overview_counts
        where n <> 0 order by 1, 2, 3`),
    ),
  );
}

/** The same counters recounted from the stored rows (what the migration fills them in with). */
async function recountedCounters(orgId: string): Promise<Counter[]> {
  return withDatabase((db) =>
    withTenant(db, orgId, (tx) =>
      tx.execute<Counter>(sql`
        select kind, to_char(at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as at, key, n::int from (
          select 'transactions' as kind, overview_hour(occurred_at) as at, '' as key, count(*) as n
          from transactions group by 2
          union all
          select 'flagged', overview_hour(t.occurred_at), '', count(*) from transactions t
          where exists (select 1 from violations v where v.transaction_id = t.id and v.status <> 'false_positive')
          group by 2
          union all
          select d.kind, d.at, d.key, sum(d.n) from violations v join transactions t on t.id = v.transaction_id,
            overview_violation_counts(1, v.status, v.severity, v.detected_at, v.rule_id, v.transaction_id, t.occurred_at) d
          where d.kind <> 'nonfp' group by 1, 2, 3) c
        where n <> 0 order by 1, 2, 3`),
    ),
  );
}

/** The overview's figures as they were computed before the counters: over every row. */
async function recountedOverview(orgId: string, timeZone: string, period: string) {
  return withDatabase((db) =>
    withTenant(db, orgId, async (tx) => {
      const open = await tx.execute<{ severity: string; n: number }>(sql`
        select severity, count(*)::int as n from violations where status in ('open', 'escalated') group by 1`);
      const monthStart = `${period}-01T00:00:00Z`;
      const [rate] = await tx.execute<{ total: number; flagged: number }>(sql`
        select count(*)::int as total,
               count(*) filter (where exists (
                 select 1 from violations v where v.transaction_id = t.id and v.status <> 'false_positive'))::int as flagged
        from transactions t
        where t.occurred_at >= ${monthStart}::timestamptz and t.occurred_at < ${monthStart}::timestamptz + interval '1 month'`);
      const since = sql`(((now() at time zone ${timeZone})::date - 29)::timestamp at time zone ${timeZone})`;
      const byDay = async (counted: SQL) => {
        const rows = await tx.execute<{ date: string; severity: string; n: number }>(sql`
          with counted as (${counted})
          select to_char(day, 'YYYY-MM-DD') as date, severity, n from counted
          where day between (now() at time zone ${timeZone})::date - 29 and (now() at time zone ${timeZone})::date`);
        return Object.fromEntries(rows.map((row) => [`${row.date} ${row.severity}`, row.n]));
      };
      const detected = await byDay(sql`
        select (v.detected_at at time zone ${timeZone})::date as day, v.severity, count(*)::int as n
        from violations v where v.detected_at >= ${since} group by 1, 2`);
      const occurred = await byDay(sql`
        select (t.occurred_at at time zone ${timeZone})::date as day, v.severity, count(*)::int as n
        from transactions t join violations v on v.transaction_id = t.id
        where t.occurred_at >= ${since} group by 1, 2`);
      const rules = await tx.execute<{ rule_id: string; name: string; violations: number; open: number }>(sql`
        select v.rule_id, rv.name, count(*)::int as violations,
               count(*) filter (where v.status in ('open', 'escalated'))::int as open
        from violations v
        join rules r on r.id = v.rule_id
        join rule_versions rv on rv.rule_id = r.id and rv.version = r.latest_version
        where v.detected_at >= now() - interval '30 days'
        group by v.rule_id, rv.name
        order by violations desc, rv.name
        limit 5`);
      return {
        open: Object.fromEntries(open.map((row) => [row.severity, row.n])),
        rate: rate!.total === 0 ? null : Math.round(((rate!.total - rate!.flagged) / rate!.total) * 10_000) / 10_000,
        detected,
        occurred,
        rules: [...rules],
      };
    }),
  );
}

const nonZero = (days: { date: string; low: number; medium: number; high: number; critical: number }[]) =>
  Object.fromEntries(
    days.flatMap((day) =>
      (['low', 'medium', 'high', 'critical'] as const)
        .filter((s) => day[s] > 0)
        .map((s) => [`${day.date} ${s}`, day[s]]),
    ),
  );

/** The counters agree with a recount, and the overview in every zone with the figures over every row. */
async function expectAgreement(org: Session): Promise<void> {
  const orgId = org.organization.id;
  expect(await storedCounters(orgId)).toEqual(await recountedCounters(orgId));
  for (const zone of ZONES) {
    const overview = await apiJson('GET', `/api/overview?time_zone=${encodeURIComponent(zone)}`, 200, {
      token: org.access_token,
    });
    const recount = await recountedOverview(orgId, zone, overview.period);
    expect(Object.fromEntries(Object.entries(overview.open_violations).filter(([, n]) => n !== 0))).toEqual(
      recount.open,
    );
    expect(overview.compliance_rate).toBe(recount.rate);
    expect(nonZero(overview.violations_by_day)).toEqual(recount.detected);
    expect(nonZero(overview.violations_by_transaction_day)).toEqual(recount.occurred);
    expect(overview.top_rules).toEqual(recount.rules);
  }
}

describe('happy', () => {
  it('keeps the counters equal to a recount through uploads, scans, reviews, cases and deletes', async () => {
    const org = await registerOrganization('Counted Bank');
    const token = org.access_token;
    const ago = (days: number, minutes = 0) =>
      new Date(Date.now() - days * 86_400_000 + minutes * 60_000).toISOString();
    // Around the zones' midnights: quarter and half hours, over the last weeks and last month.
    const rows = Array.from({ length: 60 }, (_, i) => ({
      id: `CT-${i}`,
      occurred_at: ago(i % 40, (i * 15) % 1440),
      amount: String(1000 + i * 500),
      currency: 'USD',
      account: `ACC-${i % 7}`,
      type: i % 3 === 0 ? 'cash' : 'wire',
    }));
    const uploaded = await apiJson('POST', '/api/transactions', 200, { token, body: rows.slice(0, 40) });
    expect(uploaded.accepted).toBe(40);
    await insertTransactions(org.organization.id, rows.slice(40));
    await expectAgreement(org);

    await approvedRule(token, {
      name: 'Cash over 10,000',
      severity: 'critical',
      condition: {
        all: [
          { field: 'type', op: 'eq', value: 'cash' },
          { field: 'amount', op: 'gt', value: 10000 },
        ],
      },
    });
    await approvedRule(token, {
      name: 'Any wire',
      severity: 'low',
      condition: { field: 'type', op: 'eq', value: 'wire' },
    });
    await approvedRule(token, {
      name: 'Large amount',
      severity: 'medium',
      condition: { field: 'amount', op: 'gt', value: 20000 },
    });
    const scan = await apiJson('POST', '/api/scans', 202, { token, body: {} });
    expect((await waitForScan(token, scan.id)).status).toBe('completed');
    await expectAgreement(org);

    // Reviews: one at a time and in bulk, to false positive and back.
    const all = (await apiJson('GET', '/api/violations?limit=200', 200, { token })).items as {
      id: string;
      transaction_id: string;
      account: string;
    }[];
    expect(all.length).toBeGreaterThan(20);
    await apiJson('PATCH', `/api/violations/${all[0]!.id}`, 200, { token, body: { status: 'false_positive' } });
    await apiJson('PATCH', `/api/violations/${all[1]!.id}`, 200, { token, body: { status: 'escalated' } });
    await apiJson('POST', '/api/violations/bulk-status', 200, {
      token,
      body: { ids: all.slice(2, 12).map((v) => v.id), status: 'false_positive' },
    });
    await apiJson('POST', '/api/violations/bulk-status', 200, {
      token,
      body: { ids: all.slice(8, 10).map((v) => v.id), status: 'resolved' },
    });
    await expectAgreement(org);

    // A case closed as a false positive takes its violations with it; reopened, they are open again.
    // Low ones: below the organization's automatic cases (high and up), so in no case yet.
    const unlinked = (await apiJson('GET', '/api/violations?limit=200&status=open&severity=low', 200, { token })).items;
    expect(unlinked.length).toBeGreaterThan(3);
    const opened = await apiJson('POST', '/api/cases', 201, {
      token,
      body: { violation_ids: unlinked.slice(0, 3).map((v: { id: string }) => v.id) },
    });
    await apiJson('PATCH', `/api/cases/${opened.id}`, 200, {
      token,
      body: { status: 'closed', outcome: 'false_positive', reason: 'Known customer' },
    });
    await expectAgreement(org);
    await apiJson('PATCH', `/api/cases/${opened.id}`, 200, { token, body: { status: 'investigating' } });
    await expectAgreement(org);

    // More transactions, pushed after the rules: a second scan adds only the new ones' violations.
    await apiJson('POST', '/api/transactions', 200, {
      token,
      body: [{ id: 'CT-late', occurred_at: ago(0), amount: '50000', currency: 'USD', account: 'ACC-1', type: 'cash' }],
    });
    const again = await apiJson('POST', '/api/scans', 202, { token, body: {} });
    expect((await waitForScan(token, again.id)).status).toBe('completed');
    await expectAgreement(org);

    // Nothing in the product deletes them, but a deleted violation or transaction is counted out.
    await withDatabase((db) =>
      withTenant(db, org.organization.id, async (tx) => {
        await tx.execute(sql`delete from violations where id = ${all[15]!.id}`);
        await tx.execute(sql`delete from transactions where external_id in ('CT-0', 'CT-3', 'CT-late')`);
      }),
    );
    await expectAgreement(org);
    expect((await api('GET', '/api/overview', { token })).status).toBe(200);
  });
});
