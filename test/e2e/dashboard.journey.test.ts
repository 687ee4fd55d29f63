import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goTo, goToViaMenu, heading, type Journey, mainNav, openJourney, screenshot, signIn, signOut } from './harness';

const POLICY_FILE = 'docs/corpus/aml-cash-policy.md';
const INLINE_POLICY = `# Cash policy\n\n## 1. Reporting\n\n1.1 Any cash transaction exceeding USD 10,000 must be reported within 15 days.\n`;

// Breaks clause 3.1 (cash over 10,000), 5.1 (wire to Iran) and 4.1 (three deposits just below the threshold in 7 days); row 7 is invalid.
const TRANSACTIONS_CSV = [
  'id,occurred_at,amount,currency,account,counterparty,type,country,counterparty_country,channel',
  'E2E-1,2026-03-02T09:00:00Z,12500.00,USD,ACC-1,CP-1,cash,US,US,branch',
  'E2E-2,2026-03-02T10:00:00Z,800.00,USD,ACC-2,CP-2,wire,US,IR,online',
  'E2E-3,2026-03-03T09:00:00Z,9500.00,USD,ACC-3,CP-3,cash,US,US,branch',
  'E2E-4,2026-03-04T09:00:00Z,9600.00,USD,ACC-3,CP-3,cash,US,US,branch',
  'E2E-5,2026-03-05T09:00:00Z,9700.00,USD,ACC-3,CP-3,cash,US,US,branch',
  'E2E-6,2026-03-05T11:00:00Z,-5.00,USD,ACC-4,CP-4,card,US,US,online',
  'E2E-7,2026-03-06T09:00:00Z,120.00,USD,ACC-4,CP-4,card,US,US,online',
].join('\n');

const ADMIN = {
  org: 'E2E Payments',
  name: 'Ada Admin',
  email: `ada-${Date.now()}@e2e.test`,
  password: 'correct horse battery staple',
};
const VIEWER = { name: 'Vic Viewer', email: `vic-${Date.now()}@e2e.test`, password: 'viewer password 123' };

let journey: Journey;
let page: Page;
let consoleErrors: string[];

beforeAll(async () => {
  journey = await openJourney();
  ({ page, consoleErrors } = journey);
});

afterAll(() => journey?.close());

describe('happy', () => {
  it('signs up a new organization and lands on the overview', async () => {
    await page.goto('/');
    await heading(page, 'Sign in');
    await screenshot(page, '01-sign-in');
    await page.getByRole('link', { name: 'Create an organization' }).click();
    await heading(page, 'Create your organization');
    await page.getByLabel('Organization').fill(ADMIN.org);
    await page.getByLabel('Your name').fill(ADMIN.name);
    await page.getByLabel('Work email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await screenshot(page, '02-sign-up');
    await page.getByRole('button', { name: 'Create organization' }).click();
    await heading(page, 'Overview');
    await page.getByText(ADMIN.org).first().waitFor();
    await page.getByRole('status', { name: 'Live updates: Live' }).waitFor();
    await screenshot(page, '03-overview-empty');
  });

  it('uploads the AML policy and approves its draft rules', async () => {
    const policyPath = join(journey.files, 'aml-cash-policy.md');
    writeFileSync(policyPath, existsSync(POLICY_FILE) ? readFileSync(POLICY_FILE) : INLINE_POLICY);
    await goTo(page, 'Policies');
    await screenshot(page, '04-policies-empty');
    await page.getByLabel('Document').setInputFiles(policyPath);
    await page.getByLabel('Name', { exact: true }).fill('AML and cash handling');
    await page.getByRole('button', { name: 'Upload and extract' }).click();
    await heading(page, 'AML and cash handling');
    await page.getByText('Clause 3.1').waitFor();
    await page.locator('mark').first().waitFor();
    await screenshot(page, '05-policy-clauses-and-drafts');

    const approveAll = page.getByRole('button', { name: /^Approve all \d+ drafts$/ });
    await approveAll.click();
    // Approving everything asks first (and lists the drafts review flagged).
    await page
      .getByRole('dialog')
      .getByRole('button', { name: /^Approve \d+ drafts$/ })
      .click();
    await page.getByText(/^Approved \d+ rules$/).waitFor();
    await approveAll.waitFor({ state: 'detached' });
    expect(await page.getByRole('button', { name: /^Approve / }).count()).toBe(0);

    await goTo(page, 'Rules');
    await page.getByRole('table').getByText('Approved').first().waitFor();
    await screenshot(page, '06-rules');
    await page.getByRole('table').getByRole('link').first().click();
    await page.getByRole('heading', { name: 'Condition' }).waitFor();
    await page.getByLabel('Condition JSON').waitFor();
    await screenshot(page, '07-rule-builder');
  });

  it('uploads transactions and reports the invalid row', async () => {
    const csvPath = join(journey.files, 'transactions.csv');
    writeFileSync(csvPath, TRANSACTIONS_CSV);
    await goTo(page, 'Transactions');
    await page.getByLabel('File').setInputFiles(csvPath);
    await page.getByRole('button', { name: 'Upload' }).click();
    const report = page.getByTestId('ingest-report');
    await report.waitFor();
    await report.getByText('6 accepted, 0 duplicates (already stored, unchanged), 1 rejected.').waitFor();
    await report.getByRole('cell', { name: '6', exact: true }).waitFor();
    await page.getByRole('link', { name: 'E2E-1' }).waitFor();
    await screenshot(page, '08-transactions');
    await page.getByRole('link', { name: 'E2E-1' }).click();
    await heading(page, 'Transaction E2E-1');
    await screenshot(page, '09-transaction-detail');
  });

  it('runs a scan and watches the live progress bar reach 100%', async () => {
    await goTo(page, 'Scans');
    await page.getByRole('button', { name: 'Start scan' }).click();
    const progress = page.getByTestId('scan-progress').first();
    await progress.waitFor();
    await progress.getByText('100%').waitFor({ timeout: 60_000 });
    await progress.getByText('Completed').waitFor();
    expect(await progress.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    await screenshot(page, '10-scan-completed');
  });

  it('opens a violation, reads its evidence and cited clause, and resolves it', async () => {
    await goTo(page, 'Violations');
    const rows = page.getByRole('table').getByRole('row');
    await rows.nth(1).waitFor();
    await screenshot(page, '11-violations-queue');
    await rows.nth(1).getByRole('link').first().click();
    await page.getByRole('heading', { name: 'Why this was flagged' }).waitFor();
    await page.getByRole('heading', { name: 'Cited clause' }).waitFor();
    await page.locator('blockquote').waitFor();
    await page.getByLabel('New status').selectOption('resolved');
    await page.getByLabel('Comment (optional)').fill('Checked with the branch: CTR filed on time.');
    await page.getByRole('button', { name: 'Save decision' }).click();
    await page.getByText('Marked resolved', { exact: true }).waitFor();
    await page.getByText('Checked with the branch: CTR filed on time.').waitFor();
    await screenshot(page, '12-violation-resolved');
  });

  it('visits the overview, sources, audit log and subscription pages', async () => {
    await goTo(page, 'Overview');
    // The overview reflects the scan: its rules top the chart and its violations are counted.
    await page.getByRole('link', { name: 'Wire transfers involving IR, KP, SY, CU' }).waitFor();
    expect(await page.getByText('No activity yet').count()).toBe(0);
    await screenshot(page, '13-overview');
    await goTo(page, 'Sources');
    await page.getByRole('button', { name: 'New source' }).click();
    await page.getByLabel('Name').fill('SAP production');
    await page.getByRole('button', { name: 'Create source' }).click();
    const secret = page.getByTestId('signing-secret');
    await secret.waitFor();
    expect((await secret.inputValue()).length).toBeGreaterThan(20);
    await screenshot(page, '14-source-secret-once');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await page.getByRole('button', { name: 'Edit mapping' }).click();
    await page
      .getByLabel('Sample to preview')
      .fill('{"id":"S-1","occurred_at":"2026-03-01T09:30:00Z","amount":"12.50","currency":"USD","account":"A-1"}');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('cell', { name: 'OK' }).waitFor();
    await screenshot(page, '15-source-mapping-preview');
    await goTo(page, 'Audit log');
    await page.getByText('Chain verified').waitFor();
    await screenshot(page, '16-audit-log');
    await goTo(page, 'Subscription');
    await screenshot(page, '17-subscription');
  });

  it('adds a viewer who sees the data but no approve button', async () => {
    await goTo(page, 'Users and roles');
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.getByLabel('Full name').fill(VIEWER.name);
    await page.getByLabel('Email').fill(VIEWER.email);
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByLabel('Initial password').fill(VIEWER.password);
    await page.getByRole('button', { name: 'Add user' }).last().click();
    await page.getByRole('cell', { name: new RegExp(VIEWER.name) }).waitFor();
    await screenshot(page, '18-users');

    await signOut(page);
    await signIn(page, VIEWER.email, VIEWER.password);

    const nav = mainNav(page);
    expect(await nav.getByRole('link', { name: 'Users and roles' }).count()).toBe(0);
    expect(await nav.getByRole('link', { name: 'Sources' }).count()).toBe(0);
    await goTo(page, 'Policies');
    expect(await page.getByRole('button', { name: 'Upload and extract' }).count()).toBe(0);
    await page.getByRole('link', { name: 'AML and cash handling' }).click();
    await heading(page, 'AML and cash handling');
    await page.getByText('Clause 3.1').waitFor();
    expect(await page.getByRole('button', { name: /Approve/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /Reject/ }).count()).toBe(0);
    await screenshot(page, '19-viewer-policy-no-approve');
    await goTo(page, 'Violations');
    await page.getByLabel('Status').selectOption('');
    await page.getByRole('table').getByRole('row').nth(1).getByRole('link').first().click();
    await page.getByRole('heading', { name: 'Why this was flagged' }).waitFor();
    expect(await page.getByRole('button', { name: 'Save decision' }).count()).toBe(0);
    await screenshot(page, '20-viewer-violation-read-only');
  });

  it('renders at tablet width', async () => {
    await page.setViewportSize({ width: 820, height: 1100 });
    await goToViaMenu(page, 'Rules');
    await screenshot(page, '21-tablet-rules');
  });

  it('logged no browser console error on any page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
