import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AlertReceivers, startAlertReceivers } from '../../scripts/alert-receivers';
import type { SlackMessage } from '../alerts-fixtures';
import {
  eventually,
  goTo,
  heading,
  type Journey,
  openJourney,
  pushSigned,
  type SigningSource,
  screenshot,
  signUp,
} from './harness';

// Issue 16's "done when": a new organization sends its high and critical violations to a
// Slack-style webhook and to email, sees them arrive, then watches a broken receiver's retries.

const POLICY_FILE = 'docs/corpus/aml-cash-policy.md';
const INLINE_POLICY = `# Cash policy\n\n## 3. Cash\n\n3.1 Any cash transaction exceeding USD 10,000 must be reported within 15 days.\n`;
const ADMIN = {
  org: 'E2E Alerts Bank',
  name: 'Ada Admin',
  email: `ada-alerts-${Date.now()}@e2e.test`,
  password: 'correct horse battery staple',
};
const RECIPIENT = `compliance-${Date.now()}@e2e.test`;

let receivers: AlertReceivers;
let journey: Journey;
let page: Page;
let consoleErrors: string[];
let source: SigningSource;

const slackHook = () => `${receivers.httpUrl}/hooks/slack-e2e`;

async function slackMessages(): Promise<{ body: string }[]> {
  return (
    (await (await fetch(`${receivers.httpUrl}/control/hooks/slack-e2e`)).json()) as { requests: { body: string }[] }
  ).requests;
}

async function mail(): Promise<{ subject: string; text: string; html: string }[]> {
  const response = await fetch(`${receivers.httpUrl}/control/mail?to=${encodeURIComponent(RECIPIENT)}`);
  return ((await response.json()) as { messages: { subject: string; text: string; html: string }[] }).messages;
}

beforeAll(async () => {
  receivers = await startAlertReceivers();
  // What an operator sets for `npm run dev`: the SMTP relay, and local receivers allowed.
  journey = await openJourney({
    env: { SMTP_URL: receivers.smtpUrl, SMTP_FROM: 'alerts@e2e.test', ALERT_ALLOW_PRIVATE_URLS: 'true' },
  });
  ({ page, consoleErrors } = journey);
});

afterAll(async () => {
  await journey?.close();
  await receivers?.stop();
});

describe('happy', () => {
  it('signs up, approves the AML policy rules and creates an ERP source', async () => {
    await signUp(page, ADMIN);

    const policyPath = join(journey.files, 'aml-cash-policy.md');
    writeFileSync(policyPath, existsSync(POLICY_FILE) ? readFileSync(POLICY_FILE) : INLINE_POLICY);
    await goTo(page, 'Policies');
    await page.getByLabel('Document').setInputFiles(policyPath);
    await page.getByLabel('Name', { exact: true }).fill('AML and cash handling');
    await page.getByRole('button', { name: 'Upload and extract' }).click();
    await heading(page, 'AML and cash handling');
    await page.getByRole('button', { name: /^Approve all \d+ drafts$/ }).click();
    await page
      .getByRole('dialog')
      .getByRole('button', { name: /^Approve \d+ drafts$/ })
      .click();
    await page.getByText(/^Approved \d+ rules$/).waitFor();

    await goTo(page, 'Sources');
    await page.getByRole('button', { name: 'New source' }).click();
    await page.getByLabel('Name').fill('Core banking');
    await page.getByRole('button', { name: 'Create source' }).click();
    const secret = page.getByTestId('signing-secret');
    await secret.waitFor();
    const url = await page.getByLabel('Webhook URL').inputValue();
    source = { id: url.split('/').pop()!, secret: await secret.inputValue() };
    await page.getByRole('button', { name: 'I have stored it' }).click();
  });

  it('adds a Slack-style webhook and an email channel, and sends each a test', async () => {
    await goTo(page, 'Alerts');
    await page.getByText('No channels yet').waitFor();
    await screenshot(page, 'alerts-01-empty');

    await page.getByRole('button', { name: 'New channel' }).click();
    await page.getByLabel('Name').fill('#compliance-alerts');
    await page.getByLabel('Type').selectOption('slack');
    await page.getByLabel('Slack webhook URL').fill(slackHook());
    await screenshot(page, 'alerts-02-new-slack-channel');
    await page.getByRole('button', { name: 'Create channel' }).click();
    await page.getByText('Channel #compliance-alerts created', { exact: true }).waitFor();

    await page.getByRole('button', { name: 'New channel' }).click();
    await page.getByLabel('Name').fill('Compliance team');
    await page.getByLabel('Type').selectOption('email');
    await page.getByLabel('Recipients').fill(RECIPIENT);
    await page.getByRole('button', { name: 'Create channel' }).click();
    await page.getByText('Channel Compliance team created', { exact: true }).waitFor();

    for (const name of ['#compliance-alerts', 'Compliance team']) {
      await page
        .getByTestId('alert-channel')
        .filter({ hasText: name })
        .getByRole('button', { name: 'Send test' })
        .click();
      await page.getByText(`Test message delivered to ${name}`, { exact: true }).waitFor();
    }
    expect((JSON.parse((await slackMessages())[0]!.body) as SlackMessage).text).toContain('Test alert from NitiLens');
    expect((await eventually(mail, (messages) => messages.length === 1))[0]!.subject).toBe(
      '[NitiLens] Test alert from NitiLens',
    );
    await screenshot(page, 'alerts-03-channels');
  });

  it('routes high and critical violations to both, and a pushed violation arrives at both', async () => {
    await page.getByRole('tab', { name: 'Routes' }).click();
    for (const channel of ['#compliance-alerts (slack)', 'Compliance team (email)']) {
      await page.getByLabel('Channel', { exact: true }).selectOption({ label: channel });
      await page.getByLabel('Minimum severity').selectOption('high');
      await page.getByRole('button', { name: 'Create route' }).click();
      await page.getByText(`Route to ${channel.split(' (')[0]} created`, { exact: true }).waitFor();
    }
    await page.getByRole('table', { name: 'Alert routes' }).getByRole('row').nth(2).waitFor();
    await screenshot(page, 'alerts-04-routes');

    await pushSigned(journey.baseUrl, source, {
      id: 'E2E-ALERT-1',
      occurred_at: '2026-03-02T09:00:00Z',
      amount: '12500.00',
      currency: 'USD',
      account: 'ACC-900',
      type: 'cash',
      country: 'US',
    });
    const slack = await eventually(slackMessages, (messages) =>
      messages.some((message) => message.body.includes('Cash transactions over USD 10,000')),
    );
    const alert = JSON.parse(
      slack.find((message) => message.body.includes('Cash transactions over USD 10,000'))!.body,
    ) as SlackMessage;
    expect(alert.text).toContain('High violation: Cash transactions over USD 10,000');
    const fields = alert.blocks.find((block) => block.fields)!.fields!.map((f) => f.text);
    expect(fields).toEqual(expect.arrayContaining(['*Severity*\nhigh', '*Account*\nACC-900', '*Amount*\n12500 USD']));
    const button = alert.blocks.find((block) => block.type === 'actions')!.elements![0]!;
    expect(button.url).toMatch(new RegExp(`^${journey.baseUrl}/violations/[0-9a-f-]{36}$`));
    const messages = await eventually(mail, (list) =>
      list.some((message) => message.subject === '[NitiLens] High violation: Cash transactions over USD 10,000'),
    );
    const email = messages.find((message) => message.subject.includes('Cash transactions over USD 10,000'))!;
    expect(email.text).toContain('Account: ACC-900');
    expect(email.html).toContain('Open violation');

    // The button opens the violation in the dashboard.
    await page.goto(new URL(button.url!).pathname);
    await page.getByRole('heading', { name: 'Why this was flagged' }).waitFor();
    await screenshot(page, 'alerts-05-violation-from-slack-button');
  });

  it('shows a broken receiver’s retries in the delivery log, then redelivers', async () => {
    await fetch(`${receivers.httpUrl}/control/hooks/slack-e2e`, {
      method: 'PUT',
      body: JSON.stringify({ statuses: [500] }),
    });
    await pushSigned(journey.baseUrl, source, {
      id: 'E2E-ALERT-2',
      occurred_at: '2026-03-02T10:00:00Z',
      amount: '15000.00',
      currency: 'USD',
      account: 'ACC-901',
      type: 'cash',
      country: 'US',
    });
    await goTo(page, 'Alerts');
    await page.getByRole('tab', { name: 'Delivery log' }).click();
    await page.getByLabel('Channel', { exact: true }).selectOption({ label: '#compliance-alerts' });
    const newest = page.getByTestId('alert-delivery').first();
    await newest.getByText('Pending').waitFor({ timeout: 30_000 });
    await newest.getByText('HTTP 500').waitFor();
    expect(await newest.locator('td').nth(4).textContent()).toBe('1');
    await screenshot(page, 'alerts-06-delivery-failing');
    // The first retry comes within a minute; the log refreshes itself while a delivery is pending.
    await newest.locator('td').nth(4).getByText('2', { exact: true }).waitFor({ timeout: 60_000 });
    await screenshot(page, 'alerts-07-delivery-retried');

    await fetch(`${receivers.httpUrl}/control/hooks/slack-e2e`, {
      method: 'PUT',
      body: JSON.stringify({ statuses: [200] }),
    });
    await newest.getByRole('button', { name: 'Redeliver' }).click();
    await page.getByText('Queued for delivery again', { exact: true }).waitFor();
    await newest.getByText('Delivered', { exact: true }).waitFor({ timeout: 30_000 });
    await screenshot(page, 'alerts-08-redelivered');
  });

  it('logged no browser console error on any page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
