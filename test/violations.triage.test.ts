import type { z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { violationView } from '../worker/violations/schemas';
import { addMember, api, apiJson, approvedRule, parseCsv, registerOrganization, type Session } from './helpers';
import { countRows, insertTransactions, listAllViolations, waitForScan } from './rules-fixtures';

const SEVERITY_RANK: Record<string, number> = { low: 1, medium: 2, high: 3, critical: 4 };

let org: Session;
let sanctions: { id: string };
let started: string;

/** The first open violation, which the tests below change or read. */
async function firstOpen(token: string): Promise<z.infer<typeof violationView>> {
  const [open] = await listAllViolations(token, '&status=open');
  expect(open).toBeDefined();
  return open!;
}

beforeAll(async () => {
  org = await registerOrganization('Violation Triage Org');
  sanctions = await approvedRule(org.access_token, {
    name: 'Sanctioned counterparty',
    severity: 'critical',
    condition: { field: 'counterparty', op: 'in', value: ['=HYPERLINK("http://x")', 'Blocked, Ltd', 'OFAC-1'] },
  });
  await approvedRule(org.access_token, {
    name: 'Large transfer',
    severity: 'high',
    condition: { field: 'amount', op: 'gt', value: 1000 },
  });
  await approvedRule(org.access_token, {
    name: 'Wire',
    severity: 'low',
    condition: { field: 'type', op: 'eq', value: 'wire' },
  });
  const rows = Array.from({ length: 12 }, (_, i) => ({
    id: `TRI-${String(i).padStart(3, '0')}`,
    occurred_at: `2026-05-0${(i % 9) + 1}T09:00:00Z`,
    amount: String(500 * (i + 1)),
    account: i % 2 === 0 ? 'ACC-Even' : 'acc-odd',
    counterparty: ['=HYPERLINK("http://x")', 'Blocked, Ltd', 'OFAC-1', 'Harmless'][i % 4]!,
    type: i % 3 === 0 ? 'wire' : 'card',
  }));
  await insertTransactions(org.organization.id, rows);
  started = new Date(Date.now() - 60_000).toISOString();
  const scan = await apiJson('POST', '/api/scans', 202, { token: org.access_token, body: {} });
  await waitForScan(org.access_token, scan.id);
});

describe('happy', () => {
  it('opens on the most severe, then the riskiest, then the newest', async () => {
    const all = await listAllViolations(org.access_token);
    expect(all.length).toBeGreaterThan(15);
    expect(all[0]).toMatchObject({ severity: 'critical', rule_name: 'Sanctioned counterparty' });
    for (let i = 1; i < all.length; i++) {
      const [a, b] = [all[i - 1]!, all[i]!];
      const bySeverity = SEVERITY_RANK[a.severity]! - SEVERITY_RANK[b.severity]!;
      expect(bySeverity).toBeGreaterThanOrEqual(0);
      if (bySeverity === 0) {
        expect(a.risk_score).toBeGreaterThanOrEqual(b.risk_score);
        if (a.risk_score === b.risk_score) expect(a.detected_at >= b.detected_at).toBe(true);
      }
    }
    // Paging one at a time gives the same order, without repeating or skipping.
    expect((await listAllViolations(org.access_token, '', 1)).map((v) => v.id)).toEqual(all.map((v) => v.id));
  });

  it('sorts by any column, both ways, and pages in that order', async () => {
    const byTransaction = await listAllViolations(org.access_token, '&sort=transaction_id&order=asc', 4);
    const ids = byTransaction.map((v) => v.transaction_id);
    expect(ids).toEqual([...ids].sort());
    const byRule = await listAllViolations(org.access_token, '&sort=rule&order=desc', 3);
    expect(byRule.map((v) => v.rule_name)).toEqual([...byRule.map((v) => v.rule_name)].sort().reverse());
    const byRisk = await listAllViolations(org.access_token, '&sort=risk_score&order=asc', 5);
    const risks = byRisk.map((v) => v.risk_score);
    expect(risks).toEqual([...risks].sort((a, b) => a - b));
    expect(new Set(byRisk.map((v) => v.id)).size).toBe(byRisk.length);
    const bySeverityAsc = await listAllViolations(org.access_token, '&sort=severity&order=asc', 200);
    expect(bySeverityAsc[0]?.severity).toBe('low');
    expect(bySeverityAsc.at(-1)?.severity).toBe('critical');
  });

  it('searches the transaction id, the account and the counterparty, in any case', async () => {
    expect((await listAllViolations(org.access_token, '&q=tri-007')).every((v) => v.transaction_id === 'TRI-007')).toBe(
      true,
    );
    expect((await listAllViolations(org.access_token, '&q=tri-007')).length).toBeGreaterThan(0);
    const odd = await listAllViolations(org.access_token, '&q=ACC-ODD');
    expect(odd.length).toBeGreaterThan(0);
    expect(odd.every((v) => v.account === 'acc-odd')).toBe(true);
    const blocked = await listAllViolations(org.access_token, '&q=blocked');
    expect(blocked.length).toBeGreaterThan(0);
    expect(blocked.every((v) => v.counterparty === 'Blocked, Ltd')).toBe(true);
    // Wildcards are searched for literally.
    expect(await listAllViolations(org.access_token, '&q=%25')).toEqual([]);
    expect(await listAllViolations(org.access_token, '&q=_')).toEqual([]);
  });

  it('filters by rule, status, severity and detection date together', async () => {
    const critical = await listAllViolations(
      org.access_token,
      `&rule_id=${sanctions.id}&severity=critical&status=open`,
    );
    expect(critical.length).toBe(9);
    const now = new Date(Date.now() + 60_000).toISOString();
    expect(
      await listAllViolations(org.access_token, `&from=${encodeURIComponent(started)}&to=${encodeURIComponent(now)}`),
    ).toHaveLength((await listAllViolations(org.access_token)).length);
    expect(await listAllViolations(org.access_token, `&from=${encodeURIComponent(now)}`)).toEqual([]);
    expect(await listAllViolations(org.access_token, `&to=${encodeURIComponent(started)}`)).toEqual([]);
  });

  it('changes many statuses at once, each kept in its history and audited', async () => {
    const chosen = (await listAllViolations(org.access_token, '&severity=low')).slice(0, 3);
    const reviewer = await addMember(org, 'reviewer');
    const body = { ids: chosen.map((v) => v.id), status: 'reviewed', comment: 'Known payroll wires' };
    expect(await apiJson('POST', '/api/violations/bulk-status', 200, { token: reviewer.token, body })).toEqual({
      updated: 3,
      unchanged: 0,
    });
    expect(await apiJson('POST', '/api/violations/bulk-status', 200, { token: reviewer.token, body })).toEqual({
      updated: 0,
      unchanged: 3,
    });
    const detail = await apiJson('GET', `/api/violations/${chosen[0]!.id}`, 200, { token: org.access_token });
    expect(detail.history).toEqual([
      {
        from_status: 'open',
        to_status: 'reviewed',
        comment: 'Known payroll wires',
        actor_id: reviewer.userId,
        actor_name: 'A reviewer',
        created_at: expect.any(String),
      },
    ]);
    const ids = sql.join(
      chosen.map((v) => sql`${v.id}`),
      sql`, `,
    );
    expect(
      await countRows(
        org.organization.id,
        'audit_log',
        sql`action = 'violation.status_changed' and target_id in (${ids}) and details->>'bulk' = 'true'`,
      ),
    ).toBe(3);
    const reviewed = await listAllViolations(org.access_token, '&status=reviewed');
    expect(reviewed.map((v) => v.id).sort()).toEqual(chosen.map((v) => v.id).sort());
  });

  it('exports the filtered list as CSV in the same order, guarded against formulas', async () => {
    const listed = await listAllViolations(org.access_token, `&rule_id=${sanctions.id}`);
    const response = await api('GET', `/api/violations/export?rule_id=${sanctions.id}`, { token: org.access_token });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/csv');
    expect(response.headers.get('content-disposition')).toMatch(
      /^attachment; filename="violations-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    expect(response.headers.get('x-export-truncated')).toBe('false');
    const [header, ...rows] = parseCsv(await response.text());
    expect(header).toEqual([
      'id',
      'detected_at',
      'severity',
      'risk_score',
      'status',
      'rule_id',
      'rule_name',
      'rule_version',
      'clause_ref',
      'transaction_id',
      'account',
      'counterparty',
      'explanation',
    ]);
    expect(rows.map((r) => r[0])).toEqual(listed.map((v) => v.id));
    const counterparties = new Set(rows.map((r) => r[11]));
    expect(counterparties).toEqual(new Set(['\'=HYPERLINK("http://x")', 'Blocked, Ltd', 'OFAC-1']));
    expect(rows.every((r) => r[6] === 'Sanctioned counterparty' && r[2] === 'critical')).toBe(true);
    const searched = parseCsv(
      await (
        await api('GET', '/api/violations/export?q=TRI-000&sort=rule&order=asc', { token: org.access_token })
      ).text(),
    );
    expect(searched.slice(1).map((r) => r[6])).toEqual(
      ['Large transfer', 'Sanctioned counterparty', 'Wire'].filter((name) =>
        searched.slice(1).some((r) => r[6] === name),
      ),
    );
  });
});

describe('errors', () => {
  it('a cursor of another sort, a bad sort or a bad range is refused', async () => {
    const page = await apiJson('GET', '/api/violations?limit=1', 200, { token: org.access_token });
    const other = await api('GET', `/api/violations?limit=1&sort=rule&cursor=${page.next_cursor}`, {
      token: org.access_token,
    });
    expect(other.status).toBe(400);
    expect(((await other.json()) as { errors: { path: string }[] }).errors[0]!.path).toBe('cursor');
    expect((await api('GET', '/api/violations?sort=amount', { token: org.access_token })).status).toBe(400);
    expect((await api('GET', '/api/violations?from=yesterday', { token: org.access_token })).status).toBe(400);
  });

  it('a bulk change with an unknown id changes nothing', async () => {
    const open = await firstOpen(org.access_token);
    const response = await api('POST', '/api/violations/bulk-status', {
      token: org.access_token,
      body: { ids: [open.id, crypto.randomUUID()], status: 'resolved' },
    });
    expect(response.status).toBe(404);
    expect((await apiJson('GET', `/api/violations/${open.id}`, 200, { token: org.access_token })).status).toBe('open');
    const tooMany = Array.from({ length: 201 }, () => crypto.randomUUID());
    expect(
      (
        await api('POST', '/api/violations/bulk-status', {
          token: org.access_token,
          body: { ids: tooMany, status: 'resolved' },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await api('POST', '/api/violations/bulk-status', {
          token: org.access_token,
          body: { ids: [], status: 'resolved' },
        })
      ).status,
    ).toBe(400);
  });
});

describe('security', () => {
  it('a viewer exports but cannot change statuses in bulk', async () => {
    const viewer = await addMember(org, 'viewer');
    const open = await firstOpen(viewer.token);
    expect(
      (
        await api('POST', '/api/violations/bulk-status', {
          token: viewer.token,
          body: { ids: [open.id], status: 'resolved' },
        })
      ).status,
    ).toBe(403);
    expect((await api('GET', '/api/violations/export', { token: viewer.token })).status).toBe(200);
  });

  it("another organization's violations are neither exported nor changed", async () => {
    const open = await firstOpen(org.access_token);
    const other = await registerOrganization('Triage Intruder Org');
    const csv = await (await api('GET', '/api/violations/export', { token: other.access_token })).text();
    expect(parseCsv(csv)).toHaveLength(1);
    expect(
      (
        await api('POST', '/api/violations/bulk-status', {
          token: other.access_token,
          body: { ids: [open.id], status: 'resolved' },
        })
      ).status,
    ).toBe(404);
    expect((await apiJson('GET', `/api/violations/${open.id}`, 200, { token: org.access_token })).status).toBe('open');
  });
});
