import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Api,
  apiAs,
  approvedRule,
  createSource,
  goTo,
  heading,
  type Journey,
  login,
  openJourney,
  pushSigned,
  type SigningSource,
  screenshot,
  signIn,
  signOut,
  signUp,
} from './harness';

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

let journey: Journey;
let page: Page;
let consoleErrors: string[];
let call: Api;
let source: SigningSource;

beforeAll(async () => {
  // A shared two-core machine: the dev server's first answers can take a while.
  journey = await openJourney({ timeoutMs: 60_000 });
  ({ page, consoleErrors } = journey);
});

afterAll(() => journey?.close());

describe('happy', () => {
  it('signs up, and sets a 1-minute SLA for critical cases', async () => {
    await signUp(page, ADMIN);

    call = apiAs(journey.baseUrl, await login(journey.baseUrl, ADMIN.email, ADMIN.password));
    await approvedRule(call, {
      name: 'Wire above 50,000',
      severity: 'critical',
      condition: {
        all: [
          { field: 'type', op: 'eq', value: 'wire' },
          { field: 'amount', op: 'gt', value: 50000 },
        ],
      },
    });
    source = await createSource(call, 'Core banking');
    await call('POST', '/api/users', {
      email: ANALYST.email,
      full_name: ANALYST.name,
      role: 'compliance_analyst',
      password: ANALYST.password,
    });

    await goTo(page, 'Cases');
    await page.getByText('No cases here').waitFor();
    await screenshot(page, 'cases-01-empty-inbox');
    await page.getByRole('link', { name: 'Case settings' }).click();
    await heading(page, 'Case settings');
    await page.getByLabel('Critical SLA (minutes)').fill('1');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Case settings saved', { exact: true }).waitFor();
    expect((await call('GET', '/api/cases/settings')).sla_minutes.critical).toBe(1);
  });

  it('a critical violation opens a case that appears in the open inbox without a reload', async () => {
    await goTo(page, 'Cases');
    await page.getByText('No cases here').waitFor();
    await pushSigned(journey.baseUrl, source, {
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
    await heading(page, /#1 Wire above 50,000 on ACC-7781/);
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
    await signOut(page);
    await signIn(page, ANALYST.email, ANALYST.password);
    await goTo(page, 'Cases');
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
    await heading(page, /#1 Wire above 50,000/);
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
    await goTo(page, 'Cases');
    await page.getByRole('button', { name: /All open/ }).click();
    // 205 violations on one account: they join one case, whose page shows the first 200.
    await pushSigned(
      journey.baseUrl,
      source,
      Array.from({ length: 205 }, (_, i) => wire(`BULK-${stamp}-${i}`, 'ACC-5000')),
    );
    await pushSigned(journey.baseUrl, source, wire(`SOLO-${stamp}`, 'ACC-6000'));
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
    await heading(page, /Wire above 50,000 on ACC-5000/);
    await page.getByText('Showing 200 of 205 violations.').waitFor();
    await page.getByRole('button', { name: 'Show more violations' }).click();
    await page.getByText('Showing 205 of 205 violations.').waitFor();
    expect(await page.getByRole('button', { name: 'Show more violations' }).count()).toBe(0);
    await page.getByText(`BULK-${stamp}-204`, { exact: true }).waitFor();
    await screenshot(page, 'cases-08-violations-paged');
    expect(consoleErrors).toEqual([]);
  }, 120_000);
});
