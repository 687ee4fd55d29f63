import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectConsoleErrors, type DevServer, launchBrowser, screenshot, startDevServer } from './harness';

const ADMIN = { email: `lead-${Date.now()}@e2e.test`, password: 'correct horse battery staple' };
const SANCTIONED = ['=SUM(1+1)', 'Blocked, Ltd'];

let server: DevServer;
let closeBrowser: (() => Promise<void>) | undefined;
let page: Page;
let consoleErrors: string[];

async function call<T>(method: string, path: string, token: string | null, body?: unknown): Promise<T> {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** 500 violations: 20 critical (sanctioned counterparties), 280 high (large amounts), 200 low (wires). */
async function seedQueue(): Promise<void> {
  const { access_token: token } = await call<{ access_token: string }>('POST', '/api/auth/register', null, {
    org_name: 'E2E Triage Bank',
    full_name: 'Lena Lead',
    ...ADMIN,
  });
  const rules = [
    {
      name: 'Sanctioned counterparty',
      severity: 'critical',
      condition: { field: 'counterparty', op: 'in', value: SANCTIONED },
    },
    { name: 'Large transfer', severity: 'high', condition: { field: 'amount', op: 'gt', value: 1000 } },
    { name: 'Wire', severity: 'low', condition: { field: 'type', op: 'eq', value: 'wire' } },
  ];
  for (const rule of rules) {
    const created = await call<{ id: string }>('POST', '/api/rules', token, rule);
    await call('POST', `/api/rules/${created.id}/approve`, token, {});
  }
  const transactions = Array.from({ length: 500 }, (_, i) => ({
    id: `TX-${String(i).padStart(4, '0')}`,
    occurred_at: `2026-04-${String((i % 28) + 1).padStart(2, '0')}T10:00:00Z`,
    amount: i >= 20 && i < 300 ? String(1000 + i * 10) : '50.00',
    currency: 'USD',
    account: `ACC-${i % 7}`,
    counterparty: i < 20 ? SANCTIONED[i % 2] : `CP-${i}`,
    type: i >= 300 ? 'wire' : 'card',
  }));
  await call('POST', '/api/transactions', token, transactions);
  const scan = await call<{ id: string }>('POST', '/api/scans', token, {});
  for (let tries = 0; tries < 240; tries++) {
    const state = await call<{ status: string; violations_found: number }>('GET', `/api/scans/${scan.id}`, token);
    if (state.status === 'completed') {
      expect(state.violations_found).toBe(500);
      return;
    }
    if (state.status === 'failed') throw new Error('the seeding scan failed');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error('the seeding scan did not finish');
}

const rows = () => page.getByRole('table').locator('tbody tr');

async function waitForQueue() {
  await page.waitForFunction(() => !document.querySelector('.animate-pulse'), undefined, { timeout: 15_000 });
  await rows().first().waitFor();
}

/** Waits until the queue has loaded exactly `count` rows, each containing `text` when given. */
async function queueShows(count: number, text?: string) {
  await page.waitForFunction(
    ([n, t]) => {
      if (document.querySelector('.animate-pulse')) return false;
      const found = [...document.querySelectorAll('tbody tr')];
      return found.length === n && (!t || found.every((row) => row.textContent?.includes(t as string)));
    },
    [count, text ?? ''] as const,
    { timeout: 20_000 },
  );
}

beforeAll(async () => {
  server = await startDevServer();
  await seedQueue();
  const { context, close } = await launchBrowser(server.baseUrl);
  closeBrowser = close;
  page = context.pages()[0] ?? (await context.newPage());
  consoleErrors = collectConsoleErrors(page);
});

afterAll(async () => {
  await closeBrowser?.();
  await server?.stop();
});

describe('triage at volume', () => {
  it('opens the queue on the critical findings, then the riskiest', async () => {
    await page.goto('/');
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Violations' }).click();
    await page.getByRole('heading', { level: 1, name: 'Violations' }).waitFor();
    await queueShows(50);
    // All 20 critical hits are on page one, ahead of everything else.
    for (let i = 0; i < 20; i++) await rows().nth(i).getByText('Critical').waitFor();
    await rows().nth(20).getByText('High').waitFor();
    const risks = await rows().locator('td:nth-child(5)').allTextContents();
    const highRisks = risks.slice(20).map(Number);
    expect(highRisks).toEqual([...highRisks].sort((a, b) => b - a));
    await screenshot(page, 'workspace-01-queue-by-priority');
  });

  it('sorts by a column, both ways', async () => {
    await page.getByRole('button', { name: 'Transaction' }).click();
    await waitForQueue();
    await page.locator('th[aria-sort="ascending"]', { hasText: 'Transaction' }).waitFor();
    await rows().first().getByText('TX-0000', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Transaction' }).click();
    await page.locator('th[aria-sort="descending"]', { hasText: 'Transaction' }).waitFor();
    await rows().first().getByText('TX-0499', { exact: true }).waitFor();
  });

  it('filters by rule, severity and detection date, and searches', async () => {
    await page.getByLabel('Rule', { exact: true }).selectOption({ label: 'Wire' });
    await queueShows(50, 'Wire v1');
    await page.getByRole('navigation', { name: 'Pagination' }).getByRole('button', { name: 'Next' }).click();
    await page.getByText('Page 2').waitFor();
    await page.getByLabel('Rule', { exact: true }).selectOption({ label: 'Any rule' });
    await page.getByLabel('Severity').selectOption('critical');
    await queueShows(20, 'Critical');
    const today = new Date().toLocaleDateString('en-CA');
    await page.getByLabel('Detected from').fill(today);
    await queueShows(20, 'Critical');
    await page.getByLabel('Detected from').fill('2020-01-01');
    await page.getByLabel('Detected to').fill('2020-01-31');
    await page.getByText('Nothing to review').waitFor();
    await page.getByLabel('Detected from').fill('');
    await page.getByLabel('Detected to').fill('');
    await page.getByLabel('Severity').selectOption('');
    await page.getByLabel('Search', { exact: true }).fill('tx-0042');
    await page.getByRole('button', { name: 'Search' }).click();
    await queueShows(1, 'TX-0042');
    await rows().first().getByText('TX-0042', { exact: true }).waitFor();
    await page.getByLabel('Search', { exact: true }).fill('blocked');
    await page.getByRole('button', { name: 'Search' }).click();
    await queueShows(10, 'Blocked, Ltd');
    await screenshot(page, 'workspace-02-queue-searched');
    await page.getByLabel('Search', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Search' }).click();
    await queueShows(50);
  });

  it('marks a whole page reviewed at once', async () => {
    await page.getByLabel('Rule', { exact: true }).selectOption({ label: 'Wire' });
    await queueShows(50, 'Wire v1');
    await page.getByLabel('Select every violation on this page').check();
    const bulk = page.getByRole('form', { name: 'Change the selected violations' });
    await bulk.getByText('50 selected').waitFor();
    await bulk.getByLabel('Mark as').selectOption('reviewed');
    await bulk.getByLabel('Comment (optional)').fill('Payroll wires, known counterparties');
    await screenshot(page, 'workspace-03-bulk-selected');
    await bulk.getByRole('button', { name: 'Apply to 50' }).click();
    await page.getByText('50 marked reviewed', { exact: true }).waitFor();
    // The queue shows open violations by default: the 150 other wires remain.
    await queueShows(50, 'Open');
    await page.getByLabel('Status', { exact: true }).selectOption('reviewed');
    await queueShows(50, 'Reviewed');
    await rows().first().getByRole('link').first().click();
    await page.getByText('Payroll wires, known counterparties').waitFor();
    // A rule without aggregates shows no empty Aggregates section; its explanation reads as a sentence.
    await page.getByText('type is wire').waitFor();
    expect(await page.getByText('Aggregates', { exact: true }).count()).toBe(0);
    await page
      .getByText(/Lena Lead/)
      .first()
      .waitFor();
    await page.goBack();
    await page.getByRole('heading', { level: 1, name: 'Violations' }).waitFor();
  });

  it('exports the filtered list as CSV, guarded against spreadsheet formulas', async () => {
    await page.getByLabel('Status', { exact: true }).selectOption('');
    await page.getByLabel('Rule', { exact: true }).selectOption({ label: 'Sanctioned counterparty' });
    await queueShows(20, 'Sanctioned counterparty');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^violations-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8');
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'id,detected_at,severity,risk_score,status,rule_id,rule_name,rule_version,clause_ref,transaction_id,account,counterparty,explanation',
    );
    expect(lines).toHaveLength(21);
    expect(lines.slice(1).every((line) => line.includes(',critical,'))).toBe(true);
    expect(lines.some((line) => line.includes(",'=SUM(1+1),"))).toBe(true);
    expect(lines.some((line) => line.includes(',"Blocked, Ltd",'))).toBe(true);
    expect(consoleErrors).toEqual([]);
  });
});

describe('audit log', () => {
  it('filters the trail by actor, action and date, names people and objects, and exports it', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    await page.getByText('Chain verified').waitFor();
    const filters = page.getByRole('form', { name: 'Filter the audit log' });
    await filters.getByLabel('Actor', { exact: true }).selectOption({ label: 'Lena Lead' });
    await filters.getByLabel('Action', { exact: true }).fill('violation.status_changed');
    await filters.getByLabel('From', { exact: true }).fill(new Date().toLocaleDateString('en-CA'));
    await filters.getByRole('button', { name: 'Apply' }).click();
    await queueShows(50, 'violation.status_changed');
    // People and objects by name, their ids on hover.
    const first = rows().first();
    await first.getByText(/^Wire on TX-\d{4}$/).waitFor();
    expect(await first.getByText('Lena Lead').getAttribute('title')).toMatch(/^[0-9a-f-]{36}$/);
    await screenshot(page, 'workspace-04-audit-filtered');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^audit-\d{4}-\d{2}-\d{2}\.csv$/);
    const lines = readFileSync((await download.path())!, 'utf8')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]).toBe(
      'seq,created_at,action,actor_id,actor_name,target_type,target_id,target_name,ip,user_agent,details,prev_hash,hash',
    );
    expect(lines).toHaveLength(51);
    expect(
      lines.slice(1).every((line) => line.includes(',violation.status_changed,') && line.includes(',Lena Lead,')),
    ).toBe(true);
    await filters.getByLabel('From', { exact: true }).fill('2020-01-01');
    await filters.getByLabel('To', { exact: true }).fill('2020-01-02');
    await filters.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No entries match').waitFor();
    expect(consoleErrors).toEqual([]);
  });
});

describe('scan schedules', () => {
  it('adds a daily schedule, shows its next run, pauses and resumes it', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Scans' }).click();
    await page.getByRole('heading', { level: 1, name: 'Scans' }).waitFor();
    await page.getByText('No schedules').waitFor();
    const form = page.getByRole('form', { name: 'New schedule' });
    await form.getByLabel('Frequency').selectOption('daily');
    await form.getByRole('button', { name: 'Add schedule' }).click();
    await page.getByText('Schedule created', { exact: true }).waitFor();
    const schedules = page.getByRole('table', { name: 'Scan schedules' });
    const row = schedules.locator('tbody tr').first();
    await row.getByText('Daily').waitFor();
    await row.getByText('Not run yet').waitFor();
    await row.getByText('Active').waitFor();
    await screenshot(page, 'workspace-05-scan-schedules');
    await row.getByRole('button', { name: 'Pause' }).click();
    await row.getByText('Paused').waitFor();
    await row.getByRole('button', { name: 'Resume' }).click();
    await row.getByText('Active').waitFor();
    expect(consoleErrors).toEqual([]);
  });
});
