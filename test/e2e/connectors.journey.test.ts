import type { Page } from 'playwright-core';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goTo, heading, type Journey, openJourney, screenshot, signUp } from './harness';

// Issue 22's "done when": a new user points a connector at a Postgres table of ERP payments,
// previews it, runs it, adds rows, and sees only the new ones arrive on the next scheduled run.

const ADMIN = {
  org: 'E2E Pull Bank',
  name: 'Ada Admin',
  email: `ada-connectors-${Date.now()}@e2e.test`,
  password: 'correct horse battery staple',
};
const MAPPING = JSON.stringify({ fields: { id: 'payment_no', occurred_at: 'paid_at', account: 'customer_account' } });

let journey: Journey & { databaseUrl: string };
let page: Page;
let consoleErrors: string[];
let customer: postgres.Sql;

async function addPayments(from: number, count: number): Promise<void> {
  await customer.unsafe(`insert into erp_payments
    select i, 'PAY-' || i, timestamptz '2026-03-01 09:00:00+00' + make_interval(mins => i), i * 100, 'EUR', 'ACC-' || (i % 4)
    from generate_series(${from + 1}, ${from + count}) as i`);
}

beforeAll(async () => {
  // What an operator sets for `npm run dev` to try connectors locally: a plan that has them, local hosts allowed.
  journey = await openJourney({
    database: 'erp',
    env: { DEFAULT_PLAN: 'enterprise', CONNECTOR_ALLOW_PRIVATE_HOSTS: 'true' },
  });
  customer = postgres(journey.databaseUrl, { max: 1, onnotice: () => {} });
  await customer.unsafe(`create table erp_payments (id bigint primary key, payment_no text not null,
    paid_at timestamptz not null, amount numeric(14,2) not null, currency text not null, customer_account text not null)`);
  await addPayments(0, 30);
  ({ page, consoleErrors } = journey);
});

afterAll(async () => {
  await customer?.end();
  await journey?.close();
});

describe('happy', () => {
  it('signs up and finds no connectors yet', async () => {
    await signUp(page, ADMIN);
    await goTo(page, 'Connectors');
    await page.getByText('No connectors yet').waitFor();
    await screenshot(page, 'connectors-01-empty');
  });

  it('points a connector at the ERP payments table and previews five mapped rows', async () => {
    await page.getByRole('button', { name: 'New connector' }).click();
    await page.getByLabel('Name').fill('ERP payments');
    await page.getByLabel('Connection URL').fill(journey.databaseUrl);
    await page
      .getByLabel('Query')
      .fill('select * from erp_payments where id > coalesce(:cursor::bigint, 0) order by id limit :limit');
    await page.getByLabel('Cursor column').fill('id');
    await page.getByLabel('Mapping (JSON)').fill(MAPPING);
    await screenshot(page, 'connectors-02-new');
    await page.getByRole('button', { name: 'Create connector' }).click();
    await page.getByText('Connector ERP payments created', { exact: true }).waitFor();
    // The password is never shown again: only the URL without credentials.
    expect(await page.content()).not.toContain('postgres:postgres@');

    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    await page.getByRole('button', { name: 'Preview five rows' }).click();
    const preview = page.getByRole('table', { name: 'Preview' });
    await preview.getByRole('cell', { name: 'PAY-5', exact: true }).waitFor();
    expect(await preview.getByRole('row').count()).toBe(6);
    await screenshot(page, 'connectors-03-preview');
  });

  it('runs it now and sees every payment arrive', async () => {
    await page.getByRole('button', { name: 'Run now' }).click();
    const runs = page.getByRole('table', { name: 'Runs of ERP payments' });
    await runs.getByText('Succeeded').waitFor({ timeout: 30_000 });
    // biome-ignore lint/performance/useDomNodeTextContent: a Locator's rendered text keeps the cells apart, as the pattern reads them
    await expect(runs.getByRole('row').nth(1).innerText()).resolves.toMatch(
      /manual\s+Succeeded\s+30\s+30\s+0\s+0\s+∅ → 30/,
    );
    await screenshot(page, 'connectors-04-first-run');
  });

  it('schedules it, adds payments, and the next scheduled run brings only the new ones', async () => {
    await page.getByLabel('Schedule of ERP payments').selectOption('every 15m');
    await page.getByText('Schedule: every 15m', { exact: true }).waitFor();
    await addPayments(30, 5);
    // Local wrangler fires no cron by itself: fire the minute cron as if 16 minutes had passed.
    const at = Date.now() + 16 * 60_000;
    const fired = await fetch(
      `${journey.baseUrl}/cdn-cgi/local/scheduled?cron=${encodeURIComponent('* * * * *')}&time=${at}`,
    );
    expect(fired.status).toBe(200);
    await page.reload();
    await heading(page, 'Connectors');
    const runs = page.getByRole('table', { name: 'Runs of ERP payments' });
    const scheduled = runs.getByRole('row').filter({ hasText: 'schedule' });
    await scheduled.getByText('Succeeded').waitFor({ timeout: 30_000 });
    // biome-ignore lint/performance/useDomNodeTextContent: a Locator's rendered text keeps the cells apart, as the pattern reads them
    await expect(scheduled.innerText()).resolves.toMatch(/schedule\s+Succeeded\s+5\s+5\s+0\s+0\s+30 → 35/);
    await screenshot(page, 'connectors-05-scheduled-run');

    await goTo(page, 'Transactions');
    await page.getByText('PAY-35', { exact: true }).waitFor();
    expect(consoleErrors).toEqual([]);
  });
});
