import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import type { z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { extractText, getDocumentProxy } from 'unpdf';
import { beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../db/tenant';
import worker from '../worker/index';
import type { AuditEvidence } from '../worker/reports/evidence';
import type { reportView } from '../worker/reports/schemas';
import { verifyEvidencePack } from '../worker/reports/verify-pack';
import { receiver, type WebhookEvent, waitForMail, waitUntil } from './alerts-fixtures';
import {
  addUser,
  api,
  apiJson,
  approvedRule,
  createSource,
  parseCsv,
  pushSigned,
  registerOrganization,
  type Session,
  setPlan,
  withDatabase,
} from './helpers';

type Report = z.infer<typeof reportView>;

let org: Session;
let analyst: Session;
let source: { id: string; signing_secret: string };
const today = new Date().toISOString().slice(0, 10);
let seq = 0;

function transaction(account: string, amount: string, extra: Record<string, unknown> = {}) {
  seq += 1;
  return {
    id: `REP-${seq}-${crypto.randomUUID().slice(0, 6)}`,
    occurred_at: new Date().toISOString(),
    amount,
    currency: 'USD',
    account,
    ...extra,
  };
}

async function push(...items: ReturnType<typeof transaction>[]) {
  const response = await pushSigned(source.id, source.signing_secret, items);
  expect(response.status).toBe(200);
}

async function generate(body: Record<string, unknown>, session: Session = org): Promise<Report> {
  const queued = await apiJson('POST', '/api/reports', 202, { token: session.access_token, body });
  expect(queued).toMatchObject({ id: expect.any(String), status: 'queued' });
  return waitUntil(
    () => apiJson('GET', `/api/reports/${queued.id}`, 200, { token: session.access_token }),
    (r) => r.status === 'completed' || r.status === 'failed',
    20_000,
    `report ${queued.id}`,
  );
}

async function download(report: Report, session: Session = org): Promise<Response> {
  const response = await api('GET', `/api/reports/${report.id}/file`, { token: session.access_token });
  expect(response.status).toBe(200);
  return response;
}

async function pdfText(bytes: ArrayBuffer): Promise<{ pages: number; text: string[] }> {
  const pdf = await getDocumentProxy(new Uint8Array(bytes));
  const { totalPages, text } = await extractText(pdf, { mergePages: false });
  return { pages: totalPages, text: text as string[] };
}

beforeAll(async () => {
  org = await registerOrganization('Reports Org Ünïcødé Ωμέγα');
  await setPlan(org.organization.id, 'enterprise');
  analyst = await addUser(org, 'compliance_analyst');
  source = await createSource(org.access_token);
  await approvedRule(org.access_token, {
    name: 'Very large payment',
    severity: 'critical',
    clause_ref: '4.2',
    condition: { field: 'amount', op: 'gt', value: 10000 },
  });
  await approvedRule(org.access_token, {
    name: 'Medium payment',
    severity: 'medium',
    clause_ref: '7.1(b)',
    condition: { field: 'amount', op: 'gt', value: 1000 },
  });
  await push(
    transaction('ACC-ALPHA', '20000'),
    transaction('ACC-ALPHA', '15000'),
    transaction('=HYPERLINK("http://evil.example","click")', '5000', { counterparty: '+1 "quoted", name\nnext line' }),
    transaction('ACC-ÅSA Δ', '2000'),
    transaction('ACC-QUIET', '10'),
  );
});

describe('reports', () => {
  it('generates the compliance summary PDF of a period, with its figures, citations and a footer on each page', async () => {
    // A case closed in the period, for the cases section.
    const cases = await apiJson('GET', '/api/cases?account=ACC-ALPHA', 200, { token: org.access_token });
    await apiJson('PATCH', `/api/cases/${cases.items[0]!.id}`, 200, {
      token: org.access_token,
      body: { status: 'closed', outcome: 'confirmed', reason: 'Confirmed with the customer' },
    });
    const report = await generate({ type: 'compliance_summary', format: 'pdf', from: today, to: today });
    expect(report).toMatchObject({ status: 'completed', type: 'compliance_summary', format: 'pdf', error: null });
    expect(report.size).toBeGreaterThan(1000);
    expect(report.finished_at).not.toBeNull();
    const response = await download(report);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-disposition')).toContain(`compliance-summary-${today}-to-${today}.pdf`);
    const bytes = await response.arrayBuffer();
    expect(new TextDecoder().decode(bytes.slice(0, 5))).toBe('%PDF-');
    const { pages, text } = await pdfText(bytes);
    expect(pages).toBeGreaterThanOrEqual(1);
    const all = text.join('\n');
    for (const phrase of [
      'Transactions checked',
      'Violations by severity',
      'Violations by rule',
      'Very large payment',
      '4.2',
      '7.1(b)',
      'Violations by policy',
      'Cases',
      'Closed: confirmed',
      'Median time from opening to closing',
      'Accounts at most risk',
      'ACC-ALPHA',
      'ACC-ÅSA Δ',
      'Rules changed',
    ])
      expect(all).toContain(phrase);
    text.forEach((page, i) => {
      expect(page).toContain(`Page ${i + 1} of ${pages}`);
      expect(page).toContain('Reports Org Ünïcødé Ωμέγα');
      expect(page).toMatch(/Generated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    });
  });

  it('exports violations as RFC 4180 CSV with formula cells neutralised', async () => {
    const report = await generate({ type: 'violations', format: 'csv', from: today, to: today });
    expect(report).toMatchObject({ status: 'completed', progress: { done: 6, total: 6 } });
    const response = await download(report);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const text = await response.text();
    const rows = parseCsv(text);
    expect(rows[0]).toEqual([
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
    expect(rows).toHaveLength(7);
    const evil = rows.filter((row) => row[10]!.includes('HYPERLINK'));
    expect(evil.length).toBeGreaterThan(0);
    for (const row of evil) {
      expect(row[10]).toBe(`'=HYPERLINK("http://evil.example","click")`);
      expect(row[11]).toBe(`'+1 "quoted", name\nnext line`);
    }
    // No cell of the file starts a formula.
    for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(report.sha256).toBe(await sha256(new TextEncoder().encode(text)));
  });

  it("lists each report run among the organization's jobs, with its duration", async () => {
    const report = await generate({ type: 'transactions', format: 'csv', from: today, to: today });
    const jobs = await apiJson('GET', '/api/jobs?kind=report_run', 200, { token: org.access_token });
    expect(jobs.items.find((job) => job.id === report.id)).toMatchObject({
      kind: 'report_run',
      status: 'succeeded',
      duration_ms: expect.any(Number),
    });
  });

  it('exports cases, transactions and the audit log as CSV', async () => {
    const cases = parseCsv(await (await download(await generate({ type: 'cases', from: today, to: today }))).text());
    expect(cases[0]?.slice(0, 4)).toEqual(['number', 'id', 'title', 'status']);
    expect(cases.some((row) => row[11] === 'confirmed')).toBe(true);
    const txs = parseCsv(
      await (await download(await generate({ type: 'transactions', from: today, to: today }))).text(),
    );
    expect(txs[0]?.slice(0, 3)).toEqual(['id', 'occurred_at', 'amount']);
    expect(txs).toHaveLength(6);
    expect(txs.find((row) => row[4]?.includes('HYPERLINK'))?.[4]).toMatch(/^'=/);
    const audit = parseCsv(await (await download(await generate({ type: 'audit', from: today, to: today }))).text());
    expect(audit[0]?.[0]).toBe('seq');
    expect(audit.some((row) => row[2] === 'report.requested')).toBe(true);
  });

  it('keeps the audit log from roles that may not read it', async () => {
    const problem = await apiJson('POST', '/api/reports', 403, {
      token: analyst.access_token,
      body: { type: 'audit', from: today, to: today },
    });
    expect(problem.detail).toContain('audit');
    const mine = await apiJson('GET', '/api/reports?limit=200', 200, { token: analyst.access_token });
    expect(mine.items.length).toBeGreaterThan(0);
    expect(mine.items.every((r) => r.type !== 'audit')).toBe(true);
  });

  it('lists reports newest first, page by page', async () => {
    const first = await apiJson('GET', '/api/reports?limit=2', 200, { token: org.access_token });
    expect(first.items).toHaveLength(2);
    const second = await apiJson('GET', `/api/reports?limit=200&cursor=${first.next_cursor}`, 200, {
      token: org.access_token,
    });
    const ids = [...first.items, ...second.items].map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(5);
    const times = [...first.items, ...second.items].map((r) => r.created_at);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('refuses what does not fit, another organization’s report, and plans without reports', async () => {
    const wrong = await apiJson('POST', '/api/reports', 400, {
      token: org.access_token,
      body: { type: 'violations', format: 'pdf', from: today, to: today },
    });
    expect(wrong.errors![0]!.path).toBe('format');
    const backwards = await apiJson('POST', '/api/reports', 400, {
      token: org.access_token,
      body: { type: 'violations', from: '2026-02-01', to: '2026-01-01' },
    });
    expect(backwards.errors![0]!.path).toBe('to');
    const malformed = await apiJson('POST', '/api/reports', 400, {
      token: org.access_token,
      body: { type: 'everything', from: 'yesterday', to: today },
    });
    expect(malformed.errors!.map((e: { path: string }) => e.path).sort()).toEqual(['from', 'type']);
    const other = await registerOrganization('Other Reports Org');
    await setPlan(other.organization.id, 'enterprise');
    const [mine] = (await apiJson('GET', '/api/reports?limit=1', 200, { token: org.access_token })).items;
    await apiJson('GET', `/api/reports/${mine!.id}`, 404, { token: other.access_token });
    await apiJson('GET', `/api/reports/${mine!.id}/file`, 404, { token: other.access_token });
    const basic = await registerOrganization('Basic Reports Org');
    const refused = await apiJson('POST', '/api/reports', 402, {
      token: basic.access_token,
      body: { type: 'violations', from: today, to: today },
    });
    expect(refused.feature).toBe('reports');
  });
});

/** The members of an evidence pack's JSON files (worker/reports/evidence.ts) that these tests read. */
type PackManifest = { files: { path: string; sha256: string }[] };
type PackCase = { case: { id: string; violation_count: number } };
type PackAudit = { org_id: string; entries: AuditEvidence[] };

function packJson<T>(files: Record<string, Uint8Array>, path: string): T {
  return JSON.parse(strFromU8(files[path]!)) as T;
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function runCron(at: Date) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: '* * * * *', scheduledTime: at.getTime() }), env, ctx);
  await waitOnExecutionContext(ctx);
}

/** Makes a schedule due now, as if its next run time had come. */
async function makeDue(scheduleId: string) {
  await withDatabase((db) =>
    withTenant(db, org.organization.id, (tx) =>
      tx.execute(sql`update report_schedules set next_run_at = now() - interval '1 minute' where id = ${scheduleId}`),
    ),
  );
}

describe('schedules', () => {
  it('delivers a weekly report by email with the file attached, and by webhook with a link', async () => {
    const to = `reports-${crypto.randomUUID().slice(0, 8)}@nitilens.test`;
    const mail = await apiJson('POST', '/api/alert-channels', 201, {
      token: org.access_token,
      body: { name: 'Compliance mail', type: 'email', config: { to: [to] } },
    });
    const schedule = await apiJson('POST', '/api/report-schedules', 201, {
      token: org.access_token,
      body: { type: 'compliance_summary', format: 'pdf', cadence: 'weekly', channel_id: mail.id },
    });
    expect(schedule).toMatchObject({
      type: 'compliance_summary',
      format: 'pdf',
      cadence: 'weekly',
      channel_id: mail.id,
    });
    const next = new Date(schedule.next_run_at);
    expect(next.getUTCDay()).toBe(1);
    expect(next.toISOString()).toMatch(/T00:00:00.000Z$/);
    expect(
      (await apiJson('GET', '/api/report-schedules', 200, { token: org.access_token })).map(
        (s: { id: string }) => s.id,
      ),
    ).toContain(schedule.id);

    const hook = receiver();
    const webhook = await apiJson('POST', '/api/alert-channels', 201, {
      token: org.access_token,
      body: { name: 'Reports hook', type: 'webhook', config: { url: hook.url } },
    });
    const daily = await apiJson('POST', '/api/report-schedules', 201, {
      token: org.access_token,
      body: { type: 'violations', cadence: 'daily', channel_id: webhook.id },
    });
    expect(daily.format).toBe('csv');

    await makeDue(schedule.id);
    await makeDue(daily.id);
    await runCron(new Date());
    const [message] = await waitForMail(to, 1, 20_000);
    expect(message!.subject).toMatch(/^\[NitiLens\] Report ready: Compliance summary/);
    expect(message!.attachments).toHaveLength(1);
    expect(message!.attachments[0]).toMatchObject({ content_type: 'application/pdf' });
    expect(message!.attachments[0]!.filename).toMatch(/^compliance-summary-.*\.pdf$/);
    const reports = (await apiJson('GET', '/api/reports?limit=200', 200, { token: org.access_token })).items;
    const weekly = reports.find((r) => r.schedule_id === schedule.id)!;
    expect(message!.attachments[0]!.sha256).toBe(weekly.sha256);
    // The seven days before the last midnight.
    const days = (Date.parse(weekly.to) + 1 - Date.parse(weekly.from)) / 86_400_000;
    expect(days).toBe(7);

    const [request] = await hook.waitFor(1, 20_000);
    const body = JSON.parse(request!.body) as WebhookEvent;
    expect(body.type).toBe('report.ready');
    expect(body.data).toMatchObject({
      report_type: 'violations',
      format: 'csv',
      url: expect.stringContaining('/reports?report='),
    });
    // The schedule moved on: running the trigger again does not deliver twice.
    await runCron(new Date());
    const after = await apiJson('GET', '/api/report-schedules', 200, { token: org.access_token });
    expect(after.find((s) => s.id === daily.id)!.next_run_at).not.toBeNull();
    expect(new Date(after.find((s) => s.id === daily.id)!.next_run_at!).getTime()).toBeGreaterThan(Date.now());

    await api('DELETE', `/api/report-schedules/${daily.id}`, { token: org.access_token });
    const left = await apiJson('GET', '/api/report-schedules', 200, { token: org.access_token });
    expect(left.map((s: { id: string }) => s.id)).not.toContain(daily.id);
  });

  it('is for those who manage alert channels, with a channel of their own organization', async () => {
    const other = await registerOrganization('Schedules Other');
    await setPlan(other.organization.id, 'enterprise');
    const channel = await apiJson('POST', '/api/alert-channels', 201, {
      token: other.access_token,
      body: { name: 'Theirs', type: 'email', config: { to: ['them@nitilens.test'] } },
    });
    const problem = await apiJson('POST', '/api/report-schedules', 400, {
      token: org.access_token,
      body: { type: 'violations', cadence: 'daily', channel_id: channel.id },
    });
    expect(problem.errors![0]!.path).toBe('channel_id');
    await apiJson('POST', '/api/report-schedules', 403, {
      token: analyst.access_token,
      body: { type: 'violations', cadence: 'daily', channel_id: channel.id },
    });
  });
});

describe('evidence pack', () => {
  async function pack(): Promise<{ bytes: Uint8Array; caseId: string }> {
    const cases = await apiJson('GET', '/api/cases?account=ACC-ALPHA', 200, { token: org.access_token });
    const caseId = cases.items[0]!.id;
    const response = await api('GET', `/api/cases/${caseId}/evidence-pack`, { token: analyst.access_token });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/zip');
    expect(response.headers.get('content-disposition')).toMatch(/case-\d+-evidence\.zip/);
    return { bytes: new Uint8Array(await response.arrayBuffer()), caseId };
  }

  it('holds the contract files with a SHA-256 manifest, rule versions with clauses and chained audit entries', async () => {
    const { bytes, caseId } = await pack();
    const files = unzipSync(bytes);
    expect(Object.keys(files).sort()).toEqual(
      [
        'audit.json',
        'case.json',
        'manifest.json',
        'rules.json',
        'summary.pdf',
        'transactions.json',
        'violations.json',
      ].sort(),
    );
    const manifest = packJson<PackManifest>(files, 'manifest.json');
    expect(manifest.files.map((f) => f.path).sort()).toEqual(
      ['audit.json', 'case.json', 'rules.json', 'summary.pdf', 'transactions.json', 'violations.json'].sort(),
    );
    for (const file of manifest.files) expect(file.sha256).toBe(await sha256(files[file.path]!));
    const caseFile = packJson<PackCase>(files, 'case.json');
    expect(caseFile.case.id).toBe(caseId);
    const violations = packJson<{ rule_version_id: string }[]>(files, 'violations.json');
    expect(violations.length).toBe(caseFile.case.violation_count);
    const rules = packJson<{ rule_version_id: string }[]>(files, 'rules.json');
    expect(rules).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'Very large payment', clause_ref: '4.2', version: 1 })]),
    );
    for (const v of violations) expect(rules.some((r) => r.rule_version_id === v.rule_version_id)).toBe(true);
    const transactions = packJson<{ account: string }[]>(files, 'transactions.json');
    expect(transactions.every((t) => t.account === 'ACC-ALPHA')).toBe(true);
    const audit = packJson<PackAudit>(files, 'audit.json');
    const actions = audit.entries.map((e) => e.action);
    expect(actions).toContain('case.evidence_exported');
    for (const entry of audit.entries) expect(entry.hash).toMatch(/^[0-9a-f]{64}$/);
    const { text } = await pdfText(files['summary.pdf']!.slice().buffer);
    expect(text.join('\n')).toContain('Very large payment');
    expect(await verifyEvidencePack(bytes)).toMatchObject({ ok: true, problems: [] });
  });

  it('names each file, and each audit entry, that no longer matches', async () => {
    const { bytes } = await pack();
    const files = unzipSync(bytes);
    const changed = {
      ...files,
      'violations.json': strToU8(strFromU8(files['violations.json']!).replace('critical', 'low     ')),
    };
    const verdict = await verifyEvidencePack(zipSync(changed));
    expect(verdict.ok).toBe(false);
    expect(verdict.problems).toHaveLength(1);
    expect(verdict.problems[0]).toMatch(/^violations\.json: SHA-256/);

    // An audit entry altered, and the manifest rewritten to match: the chain hash still gives it away.
    const audit = packJson<PackAudit>(files, 'audit.json');
    audit.entries[0]!.action = 'case.nothing_happened';
    const auditBytes = strToU8(JSON.stringify(audit));
    const manifest = packJson<PackManifest>(files, 'manifest.json');
    manifest.files.find((f) => f.path === 'audit.json')!.sha256 = await sha256(auditBytes);
    const forged = await verifyEvidencePack(
      zipSync({ ...files, 'audit.json': auditBytes, 'manifest.json': strToU8(JSON.stringify(manifest)) }),
    );
    expect(forged.ok).toBe(false);
    expect(forged.problems.join('\n')).toMatch(/audit\.json: entry \d+ \(case\.nothing_happened\) does not hash/);
  });

  it('is 404 for another organization’s case', async () => {
    const cases = await apiJson('GET', '/api/cases?account=ACC-ALPHA', 200, { token: org.access_token });
    const other = await registerOrganization('Evidence Other');
    await setPlan(other.organization.id, 'enterprise');
    const response = await api('GET', `/api/cases/${cases.items[0]!.id}/evidence-pack`, { token: other.access_token });
    expect(response.status).toBe(404);
  });
});
