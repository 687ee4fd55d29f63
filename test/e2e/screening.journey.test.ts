import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  goTo,
  heading,
  type Journey,
  openJourney,
  pushSigned,
  type SigningSource,
  screenshot,
  signUp,
} from './harness';

// Issue 24's "done when": upload a list, search a misspelled listed name and find it, write a rule
// that screens counterparties, push a transaction to a listed company written differently and
// see the violation with the entry and the score.

const LIST_CSV = `id,name,aliases,type,country,program
P-1,Vladimir Vladimirovich Putin,Vladimir Putin,person,RU,UKRAINE-EO13661
P-2,Muhammad Ali Hassan,,person,SY,SDGT
O-1,ACME Trading LLC,ACME Trading FZE,organization,AE,IRAN
O-2,"Rosneft Oil Company, PJSC",Rosneft,organization,RU,UKRAINE-EO13662
V-1,Sea Star,MV Sea Star,vessel,IR,IRAN
`;
const ADMIN = {
  org: 'E2E Screening Bank',
  name: 'Sam Screener',
  email: `sam-screening-${Date.now()}@e2e.test`,
  password: 'correct horse battery staple',
};

let journey: Journey;
let page: Page;
let consoleErrors: string[];
let listId = '';
let source: SigningSource;

beforeAll(async () => {
  // Screening is a Pro feature: this installation starts organizations on Enterprise.
  journey = await openJourney({ env: { DEFAULT_PLAN: 'enterprise' } });
  ({ page, consoleErrors } = journey);
});

afterAll(() => journey?.close());

describe('happy', () => {
  it('signs up and finds no watch list yet', async () => {
    await signUp(page, ADMIN);
    await goTo(page, 'Screening');
    await page.getByText('No watch lists yet').waitFor();
    await screenshot(page, 'screening-01-empty');
  });

  it('uploads a sanctions list and reads its entries', async () => {
    const csvPath = join(journey.files, 'sanctions.csv');
    writeFileSync(csvPath, LIST_CSV);
    await page.getByLabel('List file').setInputFiles(csvPath);
    await page.getByLabel('Name', { exact: true }).fill('OFAC SDN extract');
    await page.getByRole('button', { name: 'Upload list' }).click();
    const lists = page.getByRole('table', { name: 'Watch lists' });
    await lists.getByRole('button', { name: 'OFAC SDN extract' }).waitFor();
    const row = lists.getByRole('row').filter({ hasText: 'OFAC SDN extract' });
    expect(await row.getByRole('cell').nth(1).textContent()).toBe('v1');
    expect(await row.getByRole('cell').nth(2).textContent()).toBe('5');
    listId = (await row.getByRole('cell').nth(4).textContent()) ?? '';
    expect(listId).toMatch(/^[0-9a-f-]{36}$/);
    const entries = page.getByRole('table', { name: 'Entries' });
    await entries.getByRole('cell', { name: 'Rosneft Oil Company, PJSC' }).waitFor();
    await page.getByLabel('Filter entries').fill('sea star');
    await entries.getByRole('cell', { name: 'V-1' }).waitFor();
    expect(await entries.getByRole('row').count()).toBe(2);
    await screenshot(page, 'screening-02-list');
  });

  it('finds a misspelled listed name, with the score and why, and not a stranger', async () => {
    await page.getByRole('tab', { name: 'Search' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Mr Vladimr Putin');
    await page.getByRole('button', { name: 'Screen', exact: true }).click();
    const matches = page.getByRole('table', { name: 'Matches' });
    await matches.getByText('Vladimir Vladimirovich Putin').waitFor();
    const first = matches.getByRole('row').nth(1);
    expect(Number(await first.getByRole('cell').first().textContent())).toBeGreaterThanOrEqual(0.85);
    await first.getByText(/"vladimr" ~ "vladimir" \(spelling variant/).waitFor();
    await screenshot(page, 'screening-03-search');
    await page.getByLabel('Name', { exact: true }).fill('John Brown');
    await page.getByRole('button', { name: 'Screen', exact: true }).click();
    await page.getByText('No match for "John Brown"').waitFor();
  });

  it('writes and approves a rule that screens counterparties', async () => {
    await goTo(page, 'Sources');
    await page.getByRole('button', { name: 'New source' }).click();
    await page.getByLabel('Name').fill('Payments ERP');
    await page.getByRole('button', { name: 'Create source' }).click();
    const secret = page.getByTestId('signing-secret');
    await secret.waitFor();
    const url = await page.getByLabel('Webhook URL').inputValue();
    source = { id: url.split('/').pop()!, secret: await secret.inputValue() };
    await page.getByRole('button', { name: 'I have stored it' }).click();

    await page.goto('/rules/new');
    await heading(page, 'New rule');
    await page.getByLabel('Name', { exact: true }).fill('Payment to a sanctioned counterparty');
    await page.getByLabel('Severity').selectOption('critical');
    await page
      .getByLabel('Condition JSON')
      .fill(
        JSON.stringify({ field: 'counterparty', op: 'screen', value: { list_id: listId, threshold: 0.9 } }, null, 2),
      );
    await page.getByRole('button', { name: 'Create draft' }).click();
    await heading(page, 'Payment to a sanctioned counterparty');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page
      .getByText(/is now evaluated/)
      .first()
      .waitFor();
  });

  it('a payment to the listed company written differently is a violation naming the entry and the score', async () => {
    const clean = await pushSigned(journey.baseUrl, source, {
      id: 'PAY-1',
      occurred_at: '2026-03-01T09:30:00Z',
      amount: '5000.00',
      currency: 'USD',
      account: 'ACC-7',
      counterparty: 'Globex Corporation',
    });
    expect(clean.results[0]!.violations).toEqual([]);
    const flagged = await pushSigned(journey.baseUrl, source, {
      id: 'PAY-2',
      occurred_at: '2026-03-01T10:00:00Z',
      amount: '48000.00',
      currency: 'USD',
      account: 'ACC-7',
      counterparty: 'Acme Trading, L.L.C.',
    });
    expect(flagged.results[0]!.violations).toHaveLength(1);

    await goTo(page, 'Violations');
    const row = page.getByRole('table').getByRole('row').filter({ hasText: 'PAY-2' });
    await row.getByText(/matches entry O-1/).waitFor();
    await row.getByRole('link', { name: /Payment to a sanctioned counterparty/ }).click();
    await page.getByRole('heading', { name: 'Why this was flagged' }).waitFor();
    await page
      .getByText(/matches entry O-1 "ACME Trading LLC" of list OFAC SDN extract v1, score 1\.0000 >= 0\.9/)
      .first()
      .waitFor();
    await page.locator('dt', { hasText: /^Screening$/ }).waitFor();
    await screenshot(page, 'screening-04-violation');
    expect(consoleErrors).toEqual([]);
  });
});
