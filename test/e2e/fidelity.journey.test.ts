import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { branchTransactions } from '../policies.fidelity.fixtures';
import { goTo, heading, type Journey, openJourney, screenshot, signUp } from './harness';

const POLICY_FILE = 'docs/corpus/aml-branch-policy.md';
const ADMIN = {
  org: 'Harbour Community Bank',
  name: 'Fran Fidelity',
  email: `fran-${Date.now()}@e2e.test`,
  password: 'correct horse battery staple',
};
const COLUMNS = [
  'id',
  'occurred_at',
  'amount',
  'currency',
  'account',
  'type',
  'country',
  'counterparty_country',
  'channel',
];

/** The branch bank's history as its core system exports it: `cash_deposit`, `cash_withdrawal`, `approver`. */
function transactionsCsv(): string {
  const rows = branchTransactions('H').map((row) => {
    const attributes = (row as { attributes?: Record<string, string> }).attributes ?? {};
    const values = COLUMNS.map((column) => String((row as Record<string, unknown>)[column] ?? ''));
    return [...values, attributes.approver ?? '', attributes.originator_name ?? ''].join(',');
  });
  return [[...COLUMNS, 'attributes.approver', 'attributes.originator_name'].join(','), ...rows].join('\n');
}

let journey: Journey;
let page: Page;
let consoleErrors: string[];

function draft(name: string) {
  return page.getByRole('article', { name: `Draft rule ${name}` });
}

beforeAll(async () => {
  journey = await openJourney();
  ({ page, consoleErrors } = journey);
});

afterAll(() => journey?.close());

describe('happy', () => {
  it('signs up a new organization', async () => {
    await signUp(page, ADMIN);
  });

  it('uploads the policy before any transaction: drafts say they are ungrounded', async () => {
    const policyPath = join(journey.files, 'aml-branch-policy.md');
    writeFileSync(policyPath, readFileSync(POLICY_FILE));
    await goTo(page, 'Policies');
    await page.getByLabel('Document').setInputFiles(policyPath);
    await page.getByLabel('Name', { exact: true }).fill('Branch AML policy');
    await page.getByRole('button', { name: 'Upload and extract' }).click();
    await heading(page, 'Branch AML policy');
    await page.getByText('Clause 2.1').waitFor();
    await page.getByText(/drafts were written before any transaction was stored/).waitFor();
    await draft('Cash deposits over USD 10,000').getByText('Drafted before any data').waitFor();
    await draft('Cash deposits over USD 10,000')
      .getByText('No transactions stored yet: upload some to see what this rule would flag.')
      .waitFor();
    await screenshot(page, 'fidelity-01-ungrounded-drafts');
  });

  it("uploads the bank's transactions, then grounds the drafts on them", async () => {
    const csvPath = join(journey.files, 'branch-transactions.csv');
    writeFileSync(csvPath, transactionsCsv());
    await goTo(page, 'Transactions');
    await page.getByLabel('File').setInputFiles(csvPath);
    await page.getByRole('button', { name: 'Upload' }).click();
    await page
      .getByTestId('ingest-report')
      .getByText(/^33 accepted/)
      .waitFor();

    await goTo(page, 'Policies');
    await page.getByRole('link', { name: 'Branch AML policy' }).click();
    await heading(page, 'Branch AML policy');
    await page
      .getByText('Transactions are stored now: ground the drafts again to map their values onto your data.')
      .waitFor();
    await page.getByRole('button', { name: 'Re-ground drafts on your data' }).click();
    await page.getByText(/^Re-grounded \d+ drafts$/).waitFor();

    const reporting = draft('Cash deposits over USD 10,000');
    await reporting
      .getByTestId('hit-preview')
      .getByText(/Would have flagged\s*1\s*of\s*33 stored transactions/)
      .waitFor();
    // Grounded now: the readings are folded away until asked for.
    await reporting.getByText(/^How the policy's words were read/).click();
    await reporting.getByText(/"cash deposit" is read as type cash_deposit/).waitFor();
    await reporting.getByRole('link', { name: 'H-D1' }).waitFor();
    await reporting
      .getByText('The deadline "within one business day": the action it sets happens outside the transaction data.')
      .waitFor();
    await page
      .getByRole('region', { name: 'Not enforced in clause 6.1' })
      .getByText(/retained for at least five years/)
      .waitFor();
    await draft('Cash deposits totalling over USD 10,000 per account in 24h')
      .getByTestId('hit-preview')
      .getByText(/Would have flagged\s*2\s*of/)
      .waitFor();
    await draft('Card payments over USD 20,000').getByText('No hits on your data').waitFor();
    await draft('Wire transfers over USD 3,000 without originator information')
      .getByText('Flags a large share')
      .waitFor();
    await screenshot(page, 'fidelity-02-grounded-drafts-with-hits');
  });

  it('turns four-eyes approval on and off from the review page', async () => {
    const setting = page.getByTestId('four-eyes');
    await setting.getByText('off').waitFor();
    await setting.getByRole('button', { name: 'Turn on four-eyes approval' }).click();
    await page.getByText('Four-eyes approval is on', { exact: true }).waitFor();
    await setting.getByRole('button', { name: 'Turn off four-eyes approval' }).click();
    await page.getByText('Four-eyes approval is off', { exact: true }).waitFor();
  });

  it('asks before approving all drafts and lists the flagged ones', async () => {
    await page.getByRole('button', { name: /^Approve all \d+ drafts$/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText(/Review flagged \d+ of them/).waitFor();
    const flagged = dialog.getByRole('list', { name: 'Flagged drafts' });
    await flagged.getByText('Clause 3.1: Wire transfers over USD 3,000 without originator information').waitFor();
    await flagged.getByText(/Clause 4\.1: Card payments over USD 20,000/).waitFor();
    expect(await flagged.getByText(/^Clause 2\.1:/).count()).toBe(0);
    await screenshot(page, 'fidelity-03-approve-all-confirmation');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: /^Approve all \d+ drafts$/ }).click();
    await page
      .getByRole('dialog')
      .getByRole('button', { name: /^Approve \d+ drafts$/ })
      .click();
    await page.getByText(/^Approved \d+ rules$/).waitFor();
  });

  it('shows the rule vocabulary beside the stored values where sources are mapped', async () => {
    await goTo(page, 'Sources');
    await page.getByRole('table', { name: 'Rule vocabulary values' }).getByText('attributes.approved_by').waitFor();
    await page
      .getByTestId('stored-vocabulary')
      .getByText(/cash_deposit \(4\)/)
      .waitFor();
    await screenshot(page, 'fidelity-04-rule-vocabulary');
  });

  it('logged no browser console error on any page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
