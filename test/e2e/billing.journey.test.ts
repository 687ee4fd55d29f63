import type { Page } from 'playwright-core';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, goTo, heading, type Journey, openJourney, screenshot, signUp } from './harness';

// The Worker verifies Stripe's webhooks with this secret; no Stripe API key: plans change without Checkout.
const WEBHOOK_SECRET = 'whsec_e2e_billing_journey_0123456789';

const ADMIN = {
  org: 'E2E Billing',
  name: 'Bea Billing',
  email: `bea-${Date.now()}@e2e.test`,
  password: 'correct horse battery staple',
};

let journey: Journey;
let page: Page;
let consoleErrors: string[];

async function addUser(name: string) {
  await page.getByRole('button', { name: 'Add user' }).click();
  await page.getByLabel('Full name').fill(name);
  await page.getByLabel('Email').fill(`${name.toLowerCase().replaceAll(' ', '.')}-${Date.now()}@e2e.test`);
  await page.getByLabel('Role', { exact: true }).selectOption('viewer');
  await page.getByLabel('Initial password').fill('viewer password 123');
  await page.getByRole('button', { name: 'Add user' }).last().click();
}

beforeAll(async () => {
  journey = await openJourney({ env: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET } });
  ({ page, consoleErrors } = journey);
});

afterAll(() => journey?.close());

describe('happy', () => {
  it('signs up on the basic plan', async () => {
    await signUp(page, ADMIN);
  });

  it("hits the basic plan's user limit and reads a clear 402", async () => {
    await goTo(page, 'Users and roles');
    for (const name of ['Vic Viewer', 'Val Viewer']) {
      await addUser(name);
      await page.getByRole('cell', { name: new RegExp(name) }).waitFor();
    }
    await addUser('Over Limit');
    const refusal = page.getByRole('dialog').getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain(
      'The Basic plan allows 3 active users and 3 are in use; deactivate a user or upgrade the plan on the Subscription page.',
    );
    await screenshot(page, 'billing-01-user-limit-402');
    await page.keyboard.press('Escape');
  });

  it('compares the plans, sees why a downgrade is refused, upgrades and sees the limit lifted', async () => {
    await goTo(page, 'Subscription');
    await page.getByRole('progressbar', { name: 'Active users: 3 of 3 active users' }).waitFor();
    const comparison = page.getByRole('table', { name: 'Plan comparison' });
    await comparison.getByRole('columnheader', { name: /Enterprise/ }).waitFor();
    expect(await comparison.getByRole('row', { name: /Sanctions and watch-list screening/ }).count()).toBe(1);
    await screenshot(page, 'billing-02-subscription-basic');

    await comparison.getByRole('button', { name: 'Upgrade to Pro' }).click();
    await page.getByText('You are now on the Pro plan', { exact: true }).waitFor();
    await page.getByRole('progressbar', { name: 'Active users: 3 of 20 active users' }).waitFor();

    await goTo(page, 'Users and roles');
    await addUser('Now Allowed');
    await page.getByRole('cell', { name: /Now Allowed/ }).waitFor();

    await goTo(page, 'Subscription');
    const basicRefusal = page.getByRole('list', { name: 'Why Basic is not available' });
    await basicRefusal.waitFor();
    expect(await basicRefusal.textContent()).toContain('At most 3 active users: you have 4.');
    expect(await comparison.getByRole('button', { name: 'Downgrade to Basic' }).isDisabled()).toBe(true);
    await screenshot(page, 'billing-03-subscription-pro');
  });

  it('shows a banner across the app once Stripe reports a failed payment', async () => {
    const session = await callApi(journey.baseUrl, 'POST', '/api/auth/login', {
      body: { email: ADMIN.email, password: ADMIN.password },
    });
    const payload = JSON.stringify({
      id: `evt_e2e_${Date.now()}`,
      object: 'event',
      type: 'invoice.payment_failed',
      created: Math.floor(Date.now() / 1000),
      data: {
        object: {
          id: 'in_e2e',
          object: 'invoice',
          customer: 'cus_e2e',
          amount_due: 9900,
          currency: 'usd',
          attempt_count: 1,
          parent: {
            type: 'subscription_details',
            subscription_details: {
              subscription: 'sub_e2e',
              metadata: { org_id: session.organization.id, plan: 'pro' },
            },
          },
        },
      },
    });
    const signature = await Stripe.webhooks.generateTestHeaderStringAsync({ payload, secret: WEBHOOK_SECRET });
    const delivered = await fetch(`${journey.baseUrl}/api/billing/stripe/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: payload,
    });
    expect(await delivered.json()).toEqual({ received: true, applied: true, duplicate: false });

    await page.reload();
    await heading(page, 'Subscription');
    const banner = page.getByRole('alert', { name: 'Billing status' });
    await banner.waitFor();
    expect(await banner.textContent()).toContain('Payment failed');
    await page.getByText('Past due').first().waitFor();
    await screenshot(page, 'billing-04-past-due');
    await goTo(page, 'Overview');
    await banner.waitFor();
    expect(await banner.textContent()).toContain('Every feature keeps working until');
    await screenshot(page, 'billing-05-past-due-banner-overview');
    expect(consoleErrors.filter((error) => !error.includes('402'))).toEqual([]);
  });
});
