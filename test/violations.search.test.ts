import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { transactions, violations } from '../db/schema';
import { withTenant } from '../db/tenant';
import { planSearch, SEARCH_LIMITS, type SearchPlan, searchCondition } from '../worker/violations/search';
import { api, apiJson, approvedRule, parseCsv, registerOrganization, type Session, withDatabase } from './helpers';
import { insertTransactions, listAllViolations, waitForScan } from './rules-fixtures';

type Listed = Awaited<ReturnType<typeof listAllViolations>>[number];

/** More accounts than the plan reads keys for, so that `acc` is a broad text (the list's order serves it). */
const ACCOUNTS = SEARCH_LIMITS.keys + 100;
const COUNTERPARTIES = ['Blocked, Ltd', 'Acme Trading GmbH', 'OFAC-1', null] as const;

let org: Session;
let other: Session;
let large: { id: string };
let all: Listed[];

/** What `q` matches, as docs/rules-and-scans.md says: account or counterparty containing it (any case), id starting with it. */
function expected(q: string, among: Listed[] = all): Listed[] {
  const lower = q.toLowerCase();
  return among.filter(
    (v) =>
      v.account.toLowerCase().includes(lower) ||
      (v.counterparty ?? '').toLowerCase().includes(lower) ||
      [q, q.toUpperCase(), lower].some((prefix) => v.transaction_id.startsWith(prefix)),
  );
}

const ids = (list: Listed[]) => list.map((v) => v.id).sort();

async function scanned(session: Session, rows: Parameters<typeof insertTransactions>[1]): Promise<void> {
  await insertTransactions(session.organization.id, rows);
  const scan = await apiJson('POST', '/api/scans', 202, { token: session.access_token, body: {} });
  await waitForScan(session.access_token, scan.id, 60_000);
}

/** The plan `q` gets in `session`'s organization, and the violations its condition selects. */
async function planned(
  session: Session,
  q: string,
  limits = SEARCH_LIMITS,
): Promise<{ plan: SearchPlan; ids: string[] }> {
  return withDatabase((db) =>
    withTenant(db, session.organization.id, async (tx) => {
      const plan = await planSearch(tx, q, limits);
      const rows = await tx
        .select({ id: violations.id })
        .from(violations)
        .innerJoin(transactions, eq(transactions.id, violations.transactionId))
        .where(and(searchCondition(q, plan)));
      return { plan, ids: rows.map((r) => r.id).sort() };
    }),
  );
}

beforeAll(async () => {
  [org, other] = await Promise.all([
    registerOrganization('Violation Search Org'),
    registerOrganization('Other Search Org'),
  ]);
  await approvedRule(org.access_token, {
    name: 'Any amount',
    severity: 'low',
    condition: { field: 'amount', op: 'gt', value: 0 },
  });
  large = await approvedRule(org.access_token, {
    name: 'Large',
    severity: 'high',
    condition: { field: 'amount', op: 'gt', value: 5000 },
  });
  await scanned(
    org,
    Array.from({ length: ACCOUNTS }, (_, i) => ({
      id: `INV-${String(i).padStart(4, '0')}`,
      occurred_at: `2026-05-0${(i % 9) + 1}T09:00:00Z`,
      amount: String(100 + (i % 100) * 100),
      account: `ACC-${String(i).padStart(4, '0')}`,
      counterparty: COUNTERPARTIES[i % COUNTERPARTIES.length]!,
    })),
  );
  await approvedRule(other.access_token, {
    name: 'Any amount',
    severity: 'low',
    condition: { field: 'amount', op: 'gt', value: 0 },
  });
  await scanned(other, [
    {
      id: 'SECRET-1',
      occurred_at: '2026-05-01T09:00:00Z',
      amount: '10',
      account: 'ACC-SECRET',
      counterparty: 'Hidden Vendor',
    },
  ]);
  all = await listAllViolations(org.access_token);
}, 120_000);

describe('happy', () => {
  it('finds a whole transaction id, and ids by their start in any of the usual cases', async () => {
    const whole = await listAllViolations(org.access_token, '&q=INV-0007');
    expect(whole.map((v) => v.transaction_id)).toEqual(['INV-0007']);
    const start = await listAllViolations(org.access_token, '&q=inv-001');
    expect(new Set(start.map((v) => v.transaction_id))).toEqual(
      new Set(Array.from({ length: 10 }, (_, i) => `INV-001${i}`)),
    );
    expect(ids(start)).toEqual(ids(expected('inv-001')));
    // The middle of an id does not find it: `0007` is only in the account ACC-0007.
    expect((await listAllViolations(org.access_token, '&q=0007')).map((v) => v.account)).toEqual(['ACC-0007']);
  });

  it('finds a fragment of an account or a counterparty in any case', async () => {
    const trading = await listAllViolations(org.access_token, '&q=tRADING');
    expect(trading.length).toBe(expected('tRADING').length);
    expect(trading.every((v) => v.counterparty === 'Acme Trading GmbH')).toBe(true);
    const blocked = await listAllViolations(org.access_token, '&q=ked,');
    expect(ids(blocked)).toEqual(ids(expected('ked,')));
    expect(ids(await listAllViolations(org.access_token, '&q=acc-01'))).toEqual(ids(expected('acc-01')));
  });

  it('a broad text (more values than the plan reads) lists the same violations, page by page in order', async () => {
    expect((await planned(org, 'acc')).plan.kind).toBe('scan');
    const broad = await listAllViolations(org.access_token, '&q=acc', 37);
    expect(broad.map((v) => v.id)).toEqual(expected('acc').map((v) => v.id));
    expect(broad).toHaveLength(all.length);
  });

  it('combines with every filter, any sort and the cursor', async () => {
    const severity = await listAllViolations(
      org.access_token,
      `&q=inv-00&rule_id=${large.id}&severity=high&status=open`,
      3,
    );
    expect(ids(severity)).toEqual(ids(expected('inv-00').filter((v) => v.rule_id === large.id)));
    expect(severity.length).toBeGreaterThan(0);
    // Pages of 7 in the sort's order: every match once, in order (ties are the ids', which the page boundaries split).
    const sorted = await listAllViolations(org.access_token, '&q=Acme&sort=transaction_id&order=asc', 7);
    expect(ids(sorted)).toEqual(ids(expected('Acme')));
    const byTransaction = sorted.map((v) => v.transaction_id);
    expect(byTransaction).toEqual([...byTransaction].sort());
    const byRisk = await listAllViolations(org.access_token, '&q=ACC-00&sort=risk_score&order=asc', 4);
    expect(ids(byRisk)).toEqual(ids(expected('ACC-00')));
    const risks = byRisk.map((v) => v.risk_score);
    expect(risks).toEqual([...risks].sort((x, y) => x - y));
  });

  it('both ways of answering select the same violations', async () => {
    // With no room for a first list, every text that matches anything is answered by the list's order.
    const tiny = { keys: 0, transactions: 0, violations: 0 };
    for (const q of ['INV-0007', 'inv-001', 'Trading', 'acc-010', 'ked, l', 'nothing-like-it', '%', '_']) {
      const narrow = await planned(org, q);
      const broad = await planned(org, q, tiny);
      expect(narrow.plan.kind, q).not.toBe('scan');
      expect(broad.plan.kind, q).toBe(narrow.plan.kind === 'none' ? 'none' : 'scan');
      expect(narrow.ids, q).toEqual(broad.ids);
      expect(narrow.ids, q).toEqual(ids(expected(q)));
    }
  });
});

describe('edge', () => {
  it('a text matching nothing lists nothing, wildcards included', async () => {
    expect((await planned(org, 'zz-nothing')).plan).toEqual({ kind: 'none' });
    expect(await listAllViolations(org.access_token, '&q=zz-nothing')).toEqual([]);
    expect(await listAllViolations(org.access_token, '&q=%25')).toEqual([]);
    expect(await listAllViolations(org.access_token, '&q=_')).toEqual([]);
  });

  it("another organization's ids, accounts and counterparties never match", async () => {
    for (const q of ['SECRET', 'hidden vendor', 'ACC-SECRET']) {
      expect(await listAllViolations(org.access_token, `&q=${encodeURIComponent(q)}`)).toEqual([]);
      expect((await planned(org, q)).plan).toEqual({ kind: 'none' });
      expect(await listAllViolations(other.access_token, `&q=${encodeURIComponent(q)}`)).toHaveLength(1);
    }
  });

  it('the export answers q as the list does', async () => {
    const listed = await listAllViolations(org.access_token, '&q=inv-002&sort=rule&order=asc');
    const response = await api('GET', '/api/violations/export?q=inv-002&sort=rule&order=asc', {
      token: org.access_token,
    });
    const [, ...rows] = parseCsv(await response.text());
    expect(rows.map((r) => r[0])).toEqual(listed.map((v) => v.id));
    expect(ids(listed)).toEqual(ids(expected('inv-002')));
  });
});
