import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { type Tx, withTenant } from '../db/tenant';
import { countingViolations } from '../worker/overview/counters';
import { buildOverview } from '../worker/overview/service';
import type { CanonicalTransaction } from '../worker/transactions/canonical';
import { storeTransactions } from '../worker/transactions/store';
import { keptSearchValues } from '../worker/violations/search';
import { apiJson, approvedRule, createSource, pushSigned, registerOrganization, withDatabase } from './helpers';
import { waitForScan } from './rules-fixtures';

/*
 * The overview's counters (worker/overview/counters.ts) against a count from scratch over the
 * rows themselves, after random writes through every writing path: transactions stored (with
 * duplicates), violations inserted at random detection times (some already false positives),
 * status changes one by one and in bulk (false_positive and back included), a scan whose new
 * violations are partly suppressed by a snooze; in zones on the hour, the half hour (Kolkata, St.
 * John's) and the quarter hour (Kathmandu), and on both sides of their midnights.
 */

const ZONES = ['UTC', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/New_York', 'America/St_Johns', 'Pacific/Kiritimati'];
const STATUSES = ['open', 'reviewed', 'resolved', 'false_positive', 'escalated'] as const;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A small seeded generator (mulberry32): a failure replays with the same seed. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!,
  };
}

/** An instant in the last `days` days, often right at or beside a quarter hour (zones' midnights). */
function randomInstant(random: ReturnType<typeof generator>, days: number): Date {
  const at = Date.now() - random.next() * days * DAY;
  if (random.next() < 0.5) return new Date(at);
  const quarter = Math.floor(at / (15 * 60_000)) * 15 * 60_000;
  return new Date(quarter + random.pick([-1, 0, 1, 59_999]));
}

/** The overview's figures counted from the rows, as before the counters (top rules over 30 UTC days). */
async function fromScratch(tx: Tx, zone: string, period: string) {
  const [open] = await tx.execute<Record<string, number>>(sql`
    select count(*) filter (where severity = 'low')::int as low, count(*) filter (where severity = 'medium')::int as medium,
      count(*) filter (where severity = 'high')::int as high, count(*) filter (where severity = 'critical')::int as critical
    from violations where status in ('open', 'escalated')`);
  const [month] = await tx.execute<{ total: number; flagged: number }>(sql`
    select count(*)::int as total, count(*) filter (where exists (
      select 1 from violations v where v.transaction_id = t.id and v.status <> 'false_positive'))::int as flagged
    from transactions t
    where t.occurred_at >= ${`${period}-01T00:00:00Z`}::timestamptz
      and t.occurred_at < ${`${period}-01T00:00:00Z`}::timestamptz + interval '1 month'`);
  const days = (by: 'detected' | 'occurred') => {
    const at = by === 'detected' ? sql`v.detected_at` : sql`t.occurred_at`;
    return tx.execute<Record<string, number | string>>(sql`
      with days as (
        select d::date as day
        from generate_series((now() at time zone ${zone})::date - 29, (now() at time zone ${zone})::date, interval '1 day') d)
      select to_char(days.day, 'YYYY-MM-DD') as date,
        count(v.id) filter (where v.severity = 'low')::int as low, count(v.id) filter (where v.severity = 'medium')::int as medium,
        count(v.id) filter (where v.severity = 'high')::int as high, count(v.id) filter (where v.severity = 'critical')::int as critical
      from days
      left join (violations v join transactions t on t.id = v.transaction_id) on (${at} at time zone ${zone})::date = days.day
      group by days.day order by days.day`);
  };
  const topRules = await tx.execute(sql`
    select v.rule_id, rv.name, count(*)::int as violations,
      count(*) filter (where v.status in ('open', 'escalated'))::int as open
    from violations v
    join rules r on r.id = v.rule_id
    join rule_versions rv on rv.rule_id = r.id and rv.version = r.latest_version
    where v.detected_at >= ((now() at time zone 'UTC')::date - 29)::timestamp at time zone 'UTC'
    group by v.rule_id, rv.name
    order by violations desc, rv.name
    limit 5`);
  const total = month?.total ?? 0;
  return {
    open_violations: open,
    compliance_rate: total === 0 ? null : Math.round(((total - month!.flagged) / total) * 10_000) / 10_000,
    violations_by_day: await days('detected'),
    violations_by_transaction_day: await days('occurred'),
    top_rules: topRules,
  };
}

async function expectCountedAsFromScratch(orgId: string, label: string) {
  const now = new Date();
  const periods = [now.toISOString().slice(0, 7), new Date(now.getTime() - 32 * DAY).toISOString().slice(0, 7)];
  await withDatabase((db) =>
    withTenant(db, orgId, async (tx) => {
      for (const zone of ZONES)
        for (const period of periods) {
          const counted = await buildOverview(tx, orgId, { period, used: 0 }, zone);
          const expected = await fromScratch(tx, zone, period);
          const { open_violations, compliance_rate, violations_by_day, violations_by_transaction_day, top_rules } =
            counted;
          expect(
            { open_violations, compliance_rate, violations_by_day, violations_by_transaction_day, top_rules },
            `${label}, ${zone}, ${period}`,
          ).toEqual(expected);
        }
      // Every month's counts, not only the two the overview shows.
      const months = sql`
        select to_char(month, 'YYYY-MM') as month, coalesce(t.n, 0)::int as transactions, coalesce(f.n, 0)::int as flagged
        from (select month, sum(transactions) as n from overview_month_transactions group by 1) t
        full join (select month, sum(flagged) as n from overview_months group by 1) f using (month)
        where coalesce(t.n, 0) <> 0 or coalesce(f.n, 0) <> 0 order by month`;
      const monthsFromScratch = sql`
        select to_char(date_trunc('month', t.occurred_at at time zone 'UTC'), 'YYYY-MM') as month, count(*)::int as transactions,
          count(*) filter (where exists (select 1 from violations v where v.transaction_id = t.id and v.status <> 'false_positive'))::int as flagged
        from transactions t group by 1 order by 1`;
      expect(await tx.execute(months), `${label}, months`).toEqual(await tx.execute(monthsFromScratch));
    }),
  );
}

/** Violations inserted as the engine does (countingViolations), at chosen detection times and statuses. */
async function insertViolations(
  tx: Tx,
  orgId: string,
  rows: {
    version: { rule_id: string; id: string; version: number; severity: string };
    transactionId: string;
    detectedAt: Date;
    status: string;
  }[],
) {
  const input = rows.map((r) => ({
    rule_id: r.version.rule_id,
    rule_version_id: r.version.id,
    rule_version: r.version.version,
    transaction_id: r.transactionId,
    severity: r.version.severity,
    detected_at: r.detectedAt.toISOString(),
    status: r.status,
  }));
  return tx.execute<{ id: string }>(
    countingViolations(
      sql`
      insert into violations (org_id, rule_id, rule_version_id, rule_version, transaction_id, severity, risk_score, explanation, evidence, detected_at, status)
      select ${orgId}, r.rule_id, r.rule_version_id, r.rule_version, r.transaction_id, r.severity, 50, 'counted', '{}'::jsonb, r.detected_at, r.status
      from jsonb_to_recordset(${JSON.stringify(input)}::jsonb) as r(rule_id uuid, rule_version_id uuid, rule_version integer,
        transaction_id bigint, severity text, detected_at timestamptz, status text)
      on conflict (rule_version_id, transaction_id) do nothing`,
      sql`id`,
      keptSearchValues,
    ),
  );
}

describe('overview counters', () => {
  it('match a count from scratch after random writes, status changes, snoozes and a scan, in six zones', async () => {
    const random = generator(23);
    const admin = await registerOrganization('Counted Bank');
    const token = admin.access_token;
    const orgId = admin.organization.id;
    await approvedRule(token, {
      name: 'Big cash',
      severity: 'critical',
      condition: {
        all: [
          { field: 'type', op: 'eq', value: 'cash' },
          { field: 'amount', op: 'gt', value: 9000 },
        ],
      },
    });
    await approvedRule(token, {
      name: 'Any wire',
      severity: 'low',
      condition: { field: 'type', op: 'eq', value: 'wire' },
    });
    await approvedRule(token, {
      name: 'Large',
      severity: 'high',
      condition: { field: 'amount', op: 'gt', value: 50000 },
    });
    await approvedRule(token, {
      name: 'Cards',
      severity: 'medium',
      condition: { field: 'type', op: 'eq', value: 'card' },
    });
    const versions = await withDatabase((db) =>
      withTenant(db, orgId, (tx) =>
        tx.execute<{ rule_id: string; id: string; version: number; severity: string }>(
          sql`select rule_id, id, version, severity from rule_versions`,
        ),
      ),
    );

    // Transactions through the ingestion's store, in batches, each batch repeating a few earlier ids.
    const stored: CanonicalTransaction[] = [];
    for (let batch = 0; batch < 6; batch++) {
      const rows: CanonicalTransaction[] = [];
      for (let i = 0; i < 60; i++) {
        const n = stored.length + rows.length;
        rows.push({
          id: `CT-${n}`,
          occurred_at: randomInstant(random, 70).toISOString(),
          amount: random.pick(['120.00', '9500.00', '60000.00', '15.00']),
          currency: 'USD',
          account: random.pick(['ACC-1', 'ACC-2', 'ACC-S']),
          counterparty: null,
          type: random.pick(['cash', 'wire', 'card', 'ach']),
          country: null,
          counterparty_country: null,
          channel: null,
          attributes: {},
        });
      }
      const repeated = stored.slice(0, random.int(5));
      await withDatabase((db) =>
        withTenant(db, orgId, (tx) => storeTransactions(tx, orgId, null, [...repeated, ...rows])),
      );
      stored.push(...rows);
    }
    await expectCountedAsFromScratch(orgId, 'transactions only');

    // Violations at random detection times, a few already false positives, some repeated (not stored twice).
    const ids = await withDatabase((db) =>
      withTenant(db, orgId, (tx) => tx.execute<{ id: string }>(sql`select id::text from transactions order by id`)),
    );
    for (let batch = 0; batch < 5; batch++) {
      const rows = Array.from({ length: 50 }, () => ({
        version: random.pick(versions),
        transactionId: random.pick(ids).id,
        detectedAt: randomInstant(random, 40),
        status: random.next() < 0.15 ? random.pick(STATUSES) : 'open',
      }));
      await withDatabase((db) => withTenant(db, orgId, (tx) => insertViolations(tx, orgId, rows)));
    }
    await expectCountedAsFromScratch(orgId, 'inserted violations');

    // Status changes through the API: one by one and in bulk, to false_positive and back.
    const all = await withDatabase((db) =>
      withTenant(db, orgId, (tx) => tx.execute<{ id: string }>(sql`select id from violations order by id`)),
    );
    // False positives weigh more: a transaction's last counting violation becoming one unflags it.
    const triage = [...STATUSES, 'false_positive', 'false_positive', 'open'] as const;
    for (let i = 0; i < 40; i++) {
      const status = random.pick(triage);
      await apiJson('PATCH', `/api/violations/${random.pick(all).id}`, 200, {
        token,
        body: { status, comment: 'triage' },
      });
    }
    for (let i = 0; i < 6; i++) {
      const chosen = [...new Set(Array.from({ length: 15 }, () => random.pick(all).id))];
      await apiJson('POST', '/api/violations/bulk-status', 200, {
        token,
        body: { ids: chosen, status: random.pick(triage), comment: 'bulk' },
      });
    }
    await expectCountedAsFromScratch(orgId, 'status changes');

    // A snooze: new violations of the wire rule on ACC-S are suppressed (pushes and the scan below).
    const [wire] = versions.filter((v) => v.severity === 'low');
    await apiJson('POST', `/api/rules/${wire!.rule_id}/snoozes`, 201, {
      token,
      body: { account: 'ACC-S', until: new Date(Date.now() + DAY).toISOString(), reason: 'known payroll' },
    });
    // Pushes: the webhook's own insert of transactions and violations, snoozed ones suppressed.
    const source = await createSource(token);
    for (let i = 0; i < 4; i++) {
      const items = Array.from({ length: 5 }, (_, j) => ({
        id: `PUSH-${i}-${j}`,
        occurred_at: randomInstant(random, 35).toISOString(),
        amount: random.pick(['120.00', '9500.00', '60000.00']),
        currency: 'USD',
        account: random.pick(['ACC-1', 'ACC-S']),
        type: random.pick(['cash', 'wire', 'card']),
      }));
      expect((await pushSigned(source.id, source.signing_secret, items)).status).toBe(200);
    }
    await expectCountedAsFromScratch(orgId, 'after pushes');
    const scan = await apiJson('POST', '/api/scans', 202, { token, body: {} });
    expect((await waitForScan(token, scan.id)).status).toBe('completed');
    const suppressed = await withDatabase((db) =>
      withTenant(db, orgId, (tx) => tx.execute(sql`select 1 from violations where status = 'suppressed'`)),
    );
    expect(suppressed.length).toBeGreaterThan(0);
    await expectCountedAsFromScratch(orgId, 'after a scan');

    // The recount (migration 0017) replaces the kept counters with the same figures.
    await withDatabase((db) => withTenant(db, orgId, (tx) => tx.execute(sql`select overview_recount(${orgId}::uuid)`)));
    await expectCountedAsFromScratch(orgId, 'recounted');
  });
});
