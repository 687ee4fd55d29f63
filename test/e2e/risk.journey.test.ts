import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset } from '../../scripts/anomaly-dataset';
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
  screenshot,
  signUp,
} from './harness';

// Issue 18's "done when": upload a few thousand transactions, train, see the odd ones at the top
// with reasons, write a rule on anomaly_score, and watch risk scores on new violations change.

const ADMIN = {
  org: 'E2E Risk Bank',
  name: 'Rita Risk',
  email: `rita-risk-${Date.now()}@e2e.test`,
  password: 'correct horse battery staple',
};
const dataset = generateDataset({ accounts: 40, days: 45, seed: 18, anomalyRate: 0.01 });

let journey: Journey;
let page: Page;
let consoleErrors: string[];
let call: Api;

beforeAll(async () => {
  // Risk is a Pro feature: this installation starts organizations on Enterprise.
  journey = await openJourney({ env: { DEFAULT_PLAN: 'enterprise' } });
  ({ page, consoleErrors } = journey);
});

afterAll(() => journey?.close());

describe('happy', { timeout: 180_000 }, () => {
  it('signs up and finds no model, no risky account and nothing scored', async () => {
    await signUp(page, ADMIN);
    call = apiAs(journey.baseUrl, await login(journey.baseUrl, ADMIN.email, ADMIN.password));
    await goTo(page, 'Risk');
    await page.getByText('No model yet').waitFor();
    await page.getByText('No risky accounts').waitFor();
    await page.getByText('Nothing scored yet').waitFor();
    expect(await page.getByTestId('org-score').textContent()).toBe('0');
    await screenshot(page, 'risk-01-empty');
  });

  it('shows an error with a way to try again when the summary cannot be read', async () => {
    await page.route('**/api/risk/summary', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/problem+json',
        body: JSON.stringify({ type: 'about:blank', title: 'Service unavailable', status: 503, detail: 'Try later.' }),
      }),
    );
    await page.reload();
    await heading(page, 'Risk');
    // The model card and the summary read the same answer: both say so.
    await page.getByText('Could not load this').first().waitFor();
    expect(await page.getByText('Could not load this').count()).toBe(2);
    await page.unroute('**/api/risk/summary');
    await page.getByRole('button', { name: 'Try again' }).first().click();
    await page.getByTestId('org-score').waitFor();
    // The browser logs the refused responses this test provoked; nothing else may be logged.
    consoleErrors.length = 0;
  });

  it('uploads a few thousand transactions, trains, and lists the odd ones first with their reasons', async () => {
    const body = dataset.map(({ anomaly: _anomaly, ...row }) => JSON.stringify(row)).join('\n');
    const report = await call('POST', '/api/transactions', body, { contentType: 'application/x-ndjson' });
    expect(report.accepted).toBe(dataset.length);
    await page.getByRole('button', { name: 'Train the model' }).click();
    // Loading state of the run: training, then scoring what was stored, then ready.
    await page
      .getByTestId('model-status')
      .getByText(/v1: (training|scoring)/)
      .waitFor();
    await page.getByTestId('model-status').getByText('v1: ready').waitFor({ timeout: 120_000 });
    const anomalies = page.getByRole('table', { name: 'Most anomalous transactions' });
    await anomalies.getByRole('row').nth(20).waitFor();
    const planted = new Set(dataset.filter((row) => row.anomaly).map((row) => row.id));
    const firstIds = await anomalies.getByRole('row').locator('td:first-child').allTextContents();
    expect(firstIds.filter((id) => planted.has(id)).length).toBeGreaterThanOrEqual(10);
    await anomalies
      .getByRole('row')
      .nth(1)
      .getByText(/\+0\.\d\d/)
      .waitFor();
    await screenshot(page, 'risk-02-trained');
    // A long list pages.
    await page.getByRole('navigation', { name: 'Pagination' }).last().getByRole('button', { name: 'Next' }).click();
    await page.getByText('Page 2').waitFor();
    // The top transaction's page shows its score and factors.
    await page.getByRole('navigation', { name: 'Pagination' }).last().getByRole('button', { name: 'Previous' }).click();
    await anomalies.getByRole('row').nth(1).getByRole('link').click();
    await page.getByRole('heading', { name: 'Anomaly' }).waitFor();
    await page.getByRole('list', { name: 'Anomaly factors' }).getByRole('listitem').first().waitFor();
  });

  it('a rule on anomaly_score raises violations whose risk score blends the anomaly, live on the Risk page', async () => {
    await approvedRule(call, {
      name: 'Highly unusual transaction',
      severity: 'medium',
      condition: { field: 'anomaly_score', op: 'gte', value: 0.6 },
    });
    const source = await createSource(call, 'Core banking');
    await goTo(page, 'Risk');
    await page.getByTestId('org-score').waitFor();
    expect(await page.getByText('No open violations.').count()).toBe(1);

    const habitual = dataset.filter((row) => row.account === dataset[0]!.account && !row.anomaly);
    const last = habitual.at(-1)!;
    const odd = {
      ...last,
      anomaly: undefined,
      id: 'PUSH-ODD-1',
      occurred_at: new Date(Date.parse(last.occurred_at) + 35 * 3_600_000).toISOString(),
      amount: (Number(last.amount) * 500).toFixed(2),
      counterparty: 'V-SHELL-9',
      counterparty_country: 'KY',
    };
    const answer = await pushSigned(journey.baseUrl, source, odd);
    expect(answer.results[0]!.violations).toHaveLength(1);

    // Live: the heatmap and the account list follow without a reload.
    const heatmap = page.getByRole('table', { name: 'Severity by rule heatmap' });
    await heatmap.getByRole('link', { name: 'Highly unusual transaction' }).waitFor();
    const detail = await call('GET', '/api/transactions/PUSH-ODD-1');
    expect(detail.anomaly_score).toEqual(expect.any(Number));
    const expected = Math.round(100 * (0.7 * 0.5 + 0.3 * detail.anomaly_score!));
    expect(detail.violations[0]?.risk_score).toBe(expected);
    expect(expected).toBeGreaterThan(35);
    await page.getByTestId('org-score').getByText(String(expected)).waitFor();
    const accounts = page.getByRole('table', { name: 'Riskiest accounts' });
    await accounts.getByRole('link', { name: last.account }).waitFor();
    await screenshot(page, 'risk-03-live');
    await accounts.getByRole('link', { name: last.account }).click();
    await heading(page, 'Transactions');
    await page.getByRole('cell', { name: 'PUSH-ODD-1' }).waitFor();
    expect(consoleErrors).toEqual([]);
  });
});
