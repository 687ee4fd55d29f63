import { execFileSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Api,
  apiAs,
  approvedRule,
  goTo,
  heading,
  type Journey,
  login,
  openJourney,
  screenshot,
  signIn,
  signOut,
  signUp,
} from './harness';

// Issue 19's "done when", in the dashboard: an admin watches the organization's jobs (empty,
// loading, a long list, a new scan arriving live, the API unavailable); an operator sees every
// organization's jobs with error rates and slow statements.

const ADMIN = {
  org: 'E2E Ops Bank',
  name: 'Oona Admin',
  email: `oona-ops-${Date.now()}@e2e.test`,
  password: 'correct horse battery staple',
};
const OPERATOR = { email: `olga-ops-${Date.now()}@e2e.test`, password: 'operator horse battery staple' };

const JOBS_REQUEST = /\/api\/jobs\?/;
const HEALTH_REQUEST = /\/health$/;

let journey: Journey & { databaseUrl: string };
let page: Page;
let consoleErrors: string[];

const LARGE_AMOUNT = { name: 'Large amount', severity: 'high', condition: { field: 'amount', op: 'gt', value: 10000 } };

async function startScan(call: Api): Promise<string> {
  return (await call('POST', '/api/scans', {}, { status: 202 })).id;
}

beforeAll(async () => {
  journey = await openJourney({ database: 'ops', serveFromDatabase: true });
  ({ page, consoleErrors } = journey);
});

afterAll(() => journey?.close());

describe('happy', () => {
  it('an admin finds no jobs yet, then sees a scan arrive live, succeeded with its duration', async () => {
    await signUp(page, ADMIN);
    await goTo(page, 'Operations');
    await page.getByText('No jobs yet').waitFor();
    await screenshot(page, 'operations-01-empty');
    const call = apiAs(journey.baseUrl, await login(journey.baseUrl, ADMIN.email, ADMIN.password));
    await approvedRule(call, LARGE_AMOUNT);
    const scanId = await startScan(call);
    const row = page.getByRole('row').filter({ has: page.getByTitle(scanId) });
    await row.waitFor();
    await row.getByText('Succeeded').waitFor();
    await row.getByText(/\d+ ms|\d+\.\d s/).waitFor();
    await screenshot(page, 'operations-02-live');
  });

  it('a long list pages, and filters by kind and status', async () => {
    const call = apiAs(journey.baseUrl, await login(journey.baseUrl, ADMIN.email, ADMIN.password));
    for (let i = 0; i < 55; i++) await startScan(call);
    await page.reload();
    await heading(page, 'Operations');
    await page.getByRole('navigation', { name: 'Pagination' }).waitFor();
    expect(await page.getByRole('table', { name: 'Jobs' }).getByRole('row').count()).toBe(51);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Page 2').waitFor();
    await screenshot(page, 'operations-03-long-list');
    await page.getByLabel('Kind').selectOption('connector_run');
    await page.getByText('No jobs yet').waitFor();
    await page.getByLabel('Kind').selectOption('scan');
    await page.getByLabel('Status').selectOption('succeeded');
    await page.getByRole('table', { name: 'Jobs' }).waitFor();
  });
});

describe('states', () => {
  it('shows loading while the list is on its way', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route(JOBS_REQUEST, async (route) => {
      await held;
      await route.continue();
    });
    await page.reload();
    await page.getByRole('status').filter({ hasText: 'Loading jobs' }).waitFor();
    release();
    await page.getByRole('table', { name: 'Jobs' }).waitFor();
    await page.unroute(JOBS_REQUEST);
  });

  it('says so when the database is unreachable, and recovers by itself', async () => {
    const unavailable = {
      status: 503,
      contentType: 'application/problem+json',
      headers: { 'Retry-After': '1' },
      body: JSON.stringify({
        type: 'https://nitilens.dev/problems/service-unavailable',
        title: 'Service unavailable',
        status: 503,
        detail: 'The database could not be reached. Try again shortly.',
      }),
    };
    await page.route(JOBS_REQUEST, (route) => route.fulfill(unavailable));
    await page.route(HEALTH_REQUEST, (route) => route.fulfill({ ...unavailable, headers: { 'Retry-After': '1' } }));
    await page.reload();
    await page.getByText('Could not load the jobs').waitFor();
    await page.getByRole('alert').filter({ hasText: 'NitiLens cannot reach its database right now' }).first().waitFor();
    await screenshot(page, 'operations-04-database-unreachable');
    await page.unroute(JOBS_REQUEST);
    await page.unroute(HEALTH_REQUEST);
    await page.getByRole('table', { name: 'Jobs' }).waitFor({ timeout: 15_000 });
    await page.getByText('NitiLens cannot reach its database right now').waitFor({ state: 'detached' });
  });
});

describe('operators', () => {
  it('a super_admin sees every organization, with error rates and slow statements', async () => {
    execFileSync(
      'npm',
      ['run', 'create-super-admin', '--', '--email', OPERATOR.email, '--name', 'Olga Operator'],
      // The password from the environment: the tool refuses it on the command line.
      {
        env: { ...process.env, DATABASE_URL: journey.databaseUrl, SUPER_ADMIN_PASSWORD: OPERATOR.password },
        stdio: 'ignore',
      },
    );
    await signOut(page);
    await signIn(page, OPERATOR.email, OPERATOR.password);
    await goTo(page, 'Operations');
    await page.getByRole('table', { name: 'Job error rates' }).waitFor();
    await page.getByRole('heading', { name: 'Request error rates' }).waitFor();
    await page.getByRole('heading', { name: 'Slow statements (over 200 ms)' }).waitFor();
    await page.getByLabel('Every organization').check();
    await page.getByRole('heading', { name: 'Jobs of every organization' }).waitFor();
    await page.getByRole('table', { name: 'Jobs' }).getByRole('columnheader', { name: 'Organization' }).waitFor();
    await screenshot(page, 'operations-05-operator');
    expect(consoleErrors.filter((error) => !/503|Failed to load resource/.test(error))).toEqual([]);
  });
});
