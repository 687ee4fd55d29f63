import { createHmac } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectConsoleErrors, type DevServer, launchBrowser, screenshot, signUp, startDevServer } from './harness';

// Issue 15's "done when": set a 1-minute SLA for critical cases, push a critical violation, watch
// the case appear in the inbox, get it assigned, breach and escalate; close it as a false positive
// and see the rule's precision move.

const stamp = Date.now();
const ADMIN = {
  org: 'E2E Cases Bank',
  name: 'Ada Admin',
  email: `ada-cases-${stamp}@e2e.test`,
  password: 'correct horse battery staple',
};
const ANALYST = { name: 'Ana Analyst', email: `ana-cases-${stamp}@e2e.test`, password: 'another horse battery staple' };

let server: DevServer;
let closeBrowser: (() => Promise<void>) | undefined;
let page: Page;
let consoleErrors: string[];
let token: string;
let source: { id: string; signing_secret: string };
let rule: { id: string };

async function heading(name: string | RegExp) {
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

async function goTo(label: string, title: string | RegExp) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();
  await heading(title);
}

/** The API as a script would use it, for what this journey does not show (rules, sources, users). */
async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** What the ERP does: a signed push (contract section 5), one transaction or a batch. */
async function push(transaction: Record<string, unknown> | Record<string, unknown>[]): Promise<void> {
  const body = JSON.stringify(transaction);
  const t = Math.floor(Date.now() / 1000);
  const signature = createHmac('sha256', source.signing_secret).update(`${t}.${body}`).digest('hex');
  const response = await fetch(`${server.baseUrl}/api/ingest/${source.id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-nitilens-signature': `t=${t},v1=${signature}` },
    body,
  });
  expect(response.status).toBe(200);
}

beforeAll(async () => {
  server = await startDevServer();
  const { context, close } = await launchBrowser(server.baseUrl);
  closeBrowser = close;
  page = context.pages()[0] ?? (await context.newPage());
  // A shared two-core machine: the dev server's first answers can take a while.
  page.setDefaultTimeout(60_000);
  consoleErrors = collectConsoleErrors(page);
});

afterAll(async () => {
  await closeBrowser?.();
  await server?.stop();
});

describe('happy', () => {
  it('signs up, and sets a 1-minute SLA for critical cases', async () => {
    await signUp(page, ADMIN);

    const session = await fetch(`${server.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password }),
    });
    token = ((await session.json()) as { access_token: string }).access_token;
    rule = await call('POST', '/api/rules', {
      name: 'Wire above 50,000',
      severity: 'critical',
      condition: {
        all: [
          { field: 'type', op: 'eq', value: 'wire' },
          { field: 'amount', op: 'gt', value: 50000 },
        ],
      },
    });
    await call('POST', `/api/rules/${rule.id}/approve`, {});
    source = await call('POST', '/api/sources', { name: 'Core banking' });
    await call('POST', '/api/users', {
      email: ANALYST.email,
      full_name: ANALYST.name,
      role: 'compliance_analyst',
      password: ANALYST.password,
    });

    await goTo('Cases', 'Cases');
    await page.getByText('No cases here').waitFor();
    await screenshot(page, 'cases-01-empty-inbox');
    await page.getByRole('link', { name: 'Case settings' }).click();
    await heading('Case settings');
    await page.getByLabel('Critical SLA (minutes)').fill('1');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Case settings saved', { exact: true }).waitFor();
    expect((await call<{ sla_minutes: { critical: number } }>('GET', '/api/cases/settings')).sla_minutes.critical).toBe(
      1,
    );
  });

  it('a critical violation opens a case that appears in the open inbox without a reload', async () => {
    await goTo('Cases', 'Cases');
    await page.getByText('No cases here').waitFor();
    await push({
      id: `WIRE-${stamp}`,
      occurred_at: new Date().toISOString(),
      amount: '75000.00',
      currency: 'USD',
      account: 'ACC-7781',
      counterparty: 'VEND-9',
      type: 'wire',
    });
    const row = page.getByRole('link', { name: /#1 Wire above 50,000 on ACC-7781/ });
    await row.waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: /Unassigned \(1\)/ }).waitFor();
    await screenshot(page, 'cases-02-inbox-new-case');

    await row.click();
    await heading(/#1 Wire above 50,000 on ACC-7781/);
    await page
      .getByText(/amount/i)
      .first()
      .waitFor();
    await page.getByLabel('Assign to').selectOption({ label: ANALYST.name });
    await page.getByText('Case #1 updated', { exact: true }).waitFor();
    await page.getByRole('list', { name: 'Case history' }).getByText(`Assigned to ${ANALYST.name}`).waitFor();
    await screenshot(page, 'cases-03-case-assigned');
  });

  it('the analyst sees it in My cases; it breaches and escalates within the minute', async () => {
    await page.getByRole('button', { name: `Account menu for ${ADMIN.name}` }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await heading('Sign in');
    await page.getByLabel('Email').fill(ANALYST.email);
    await page.getByLabel('Password').fill(ANALYST.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Overview');
    await goTo('Cases', 'Cases');
    await page.getByRole('button', { name: /My cases \(1\)/ }).click();
    await page.getByRole('link', { name: /#1 Wire above 50,000/ }).waitFor();

    // The SLA was one minute: the hub's alarm escalates at the deadline, and the inbox hears of it.
    await page.getByText(/escalated/).waitFor({ timeout: 100_000 });
    await page
      .getByText(/^Breached/)
      .first()
      .waitFor();
    await page.getByRole('button', { name: /Breached \(1\)/ }).waitFor();
    await screenshot(page, 'cases-04-breached-escalated');
  }, 150_000);

  it('closes it as a false positive; the rule’s precision moves', async () => {
    await page.getByRole('link', { name: /#1 Wire above 50,000/ }).click();
    await heading(/#1 Wire above 50,000/);
    await page.getByRole('list', { name: 'Case history' }).getByText('Escalated: the SLA was breached').waitFor();
    await page.getByLabel('Outcome', { exact: true }).selectOption('false_positive');
    await page.getByLabel('Reason', { exact: true }).fill('Scheduled treasury transfer to our own account.');
    await page.getByRole('button', { name: 'Close case' }).click();
    await page.getByText(/Closed as False positive/).waitFor();
    await screenshot(page, 'cases-05-closed-false-positive');

    await page.getByRole('link', { name: 'Wire above 50,000' }).first().click();
    const performance = page.getByRole('definition').filter({ hasText: '%' }).first();
    await performance.waitFor();
    expect(await performance.textContent()).toBe('0%');
    await page.getByText('1 false positives', { exact: false }).waitFor();
    await screenshot(page, 'cases-06-rule-precision');
    expect(consoleErrors).toEqual([]);
  });

  it('bulk-assigns selected cases to another member, and pages through a case past its first 200 violations', async () => {
    const wire = (id: string, account: string) => ({
      id,
      occurred_at: new Date().toISOString(),
      amount: '90000.00',
      currency: 'USD',
      account,
      type: 'wire',
    });
    await goTo('Cases', 'Cases');
    await page.getByRole('button', { name: /All open/ }).click();
    // 205 violations on one account: they join one case, whose page shows the first 200.
    await push(Array.from({ length: 205 }, (_, i) => wire(`BULK-${stamp}-${i}`, 'ACC-5000')));
    await push(wire(`SOLO-${stamp}`, 'ACC-6000'));
    const many = page.getByRole('link', { name: /Wire above 50,000 on ACC-5000/ });
    const solo = page.getByRole('link', { name: /Wire above 50,000 on ACC-6000/ });
    await many.waitFor({ timeout: 15_000 });
    await solo.waitFor({ timeout: 15_000 });

    await page.getByRole('checkbox', { name: /Select case #2/ }).check();
    await page.getByRole('checkbox', { name: /Select case #3/ }).check();
    await page.getByRole('region', { name: 'Bulk actions' }).getByText('2 selected').waitFor();
    await page.getByLabel('Assign the selected cases to').selectOption({ label: `${ADMIN.name} (Compliance admin)` });
    await page.getByText('2 cases updated', { exact: true }).waitFor();
    const assignedRows = page.getByRole('row').filter({ hasText: ADMIN.name });
    await expect.poll(() => assignedRows.count()).toBe(2);
    await page.getByRole('button', { name: /Unassigned \(0\)/ }).waitFor();
    await screenshot(page, 'cases-07-bulk-assigned-to-member');

    await many.click();
    await heading(/Wire above 50,000 on ACC-5000/);
    await page.getByText('Showing 200 of 205 violations.').waitFor();
    await page.getByRole('button', { name: 'Show more violations' }).click();
    await page.getByText('Showing 205 of 205 violations.').waitFor();
    expect(await page.getByRole('button', { name: 'Show more violations' }).count()).toBe(0);
    await page.getByText(`BULK-${stamp}-204`, { exact: true }).waitFor();
    await screenshot(page, 'cases-08-violations-paged');
    expect(consoleErrors).toEqual([]);
  }, 120_000);
});
