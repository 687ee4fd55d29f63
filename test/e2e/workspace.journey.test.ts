import { readFileSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Api,
  apiAs,
  approvedRule,
  callApi,
  collectConsoleErrors,
  goTo,
  goToViaMenu,
  heading,
  type Journey,
  mainNav,
  openJourney,
  screenshot,
  settled,
  signIn,
} from './harness';

const ADMIN = { email: `lead-${Date.now()}@e2e.test`, password: 'correct horse battery staple' };
const SANCTIONED = ['=SUM(1+1)', 'Blocked, Ltd'];

let journey: Journey;
let page: Page;
let consoleErrors: string[];
let token: string;
let call: Api;
let policyId: string;
const POLICY_TEXT = '# Wire policy\n\n1. Wires above 1,000 USD are reviewed.\n';

/** 500 violations: 20 critical (sanctioned counterparties), 280 high (large amounts), 200 low (wires). */
async function seedQueue(): Promise<void> {
  ({ access_token: token } = await callApi(journey.baseUrl, 'POST', '/api/auth/register', {
    body: { org_name: 'E2E Triage Bank', full_name: 'Lena Lead', ...ADMIN },
  }));
  call = apiAs(journey.baseUrl, token);
  const form = new FormData();
  form.set('name', 'Wire policy');
  form.set('file', new Blob([POLICY_TEXT], { type: 'text/markdown' }), 'wire-policy.md');
  const uploaded = await fetch(`${journey.baseUrl}/api/policies`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  expect(uploaded.status).toBe(201);
  policyId = ((await uploaded.json()) as { id: string }).id;
  const rules = [
    {
      name: 'Sanctioned counterparty',
      severity: 'critical',
      condition: { field: 'counterparty', op: 'in', value: SANCTIONED },
    },
    { name: 'Large transfer', severity: 'high', condition: { field: 'amount', op: 'gt', value: 1000 } },
    { name: 'Wire', severity: 'low', condition: { field: 'type', op: 'eq', value: 'wire' } },
  ];
  for (const rule of rules) await approvedRule(call, rule);
  const transactions = Array.from({ length: 500 }, (_, i) => ({
    id: `TX-${String(i).padStart(4, '0')}`,
    occurred_at: `2026-04-${String((i % 28) + 1).padStart(2, '0')}T10:00:00Z`,
    amount: i >= 20 && i < 300 ? String(1000 + i * 10) : '50.00',
    currency: 'USD',
    account: `ACC-${i % 7}`,
    counterparty: i < 20 ? SANCTIONED[i % 2] : `CP-${i}`,
    type: i >= 300 ? 'wire' : 'card',
  }));
  await call('POST', '/api/transactions', transactions);
  const scan = await call('POST', '/api/scans', {});
  for (let tries = 0; tries < 240; tries++) {
    const state = await call('GET', `/api/scans/${scan.id}`);
    if (state.status === 'completed') {
      expect(state.violations_found).toBe(500);
      return;
    }
    if (state.status === 'failed') throw new Error('the seeding scan failed');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error('the seeding scan did not finish');
}

const rows = () => page.getByRole('table').locator('tbody tr');

async function waitForQueue() {
  await settled(page);
  await rows().first().waitFor();
}

/** Waits until the queue has loaded exactly `count` rows, each containing `text` when given. */
async function queueShows(count: number, text?: string) {
  await page.waitForFunction(
    ([n, t]) => {
      if (document.querySelector('.animate-pulse')) return false;
      const found = [...document.querySelectorAll('tbody tr')];
      return found.length === n && (!t || found.every((row) => row.textContent?.includes(t as string)));
    },
    [count, text ?? ''] as const,
    { timeout: 20_000 },
  );
}

beforeAll(async () => {
  journey = await openJourney();
  await seedQueue();
  ({ page, consoleErrors } = journey);
});

afterAll(() => journey?.close());

describe('triage at volume', () => {
  it('opens the queue on the critical findings, then the riskiest', async () => {
    await page.goto('/');
    await signIn(page, ADMIN.email, ADMIN.password);
    await goTo(page, 'Violations');
    await queueShows(50);
    // All 20 critical hits are on page one, ahead of everything else.
    for (let i = 0; i < 20; i++) await rows().nth(i).getByText('Critical').waitFor();
    await rows().nth(20).getByText('High').waitFor();
    const risks = await rows().locator('td:nth-child(5)').allTextContents();
    const highRisks = risks.slice(20).map(Number);
    expect(highRisks).toEqual([...highRisks].sort((a, b) => b - a));
    await screenshot(page, 'workspace-01-queue-by-priority');
  });

  it('sorts by a column, both ways', async () => {
    await page.getByRole('button', { name: 'Transaction' }).click();
    await waitForQueue();
    await page.locator('th[aria-sort="ascending"]', { hasText: 'Transaction' }).waitFor();
    await rows().first().getByText('TX-0000', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Transaction' }).click();
    await page.locator('th[aria-sort="descending"]', { hasText: 'Transaction' }).waitFor();
    await rows().first().getByText('TX-0499', { exact: true }).waitFor();
  });

  it('filters by rule, severity and detection date, and searches', async () => {
    await page.getByLabel('Rule', { exact: true }).selectOption({ label: 'Wire' });
    await queueShows(50, 'Wire v1');
    await page.getByRole('navigation', { name: 'Pagination' }).getByRole('button', { name: 'Next' }).click();
    await page.getByText('Page 2').waitFor();
    await page.getByLabel('Rule', { exact: true }).selectOption({ label: 'Any rule' });
    await page.getByLabel('Severity').selectOption('critical');
    await queueShows(20, 'Critical');
    const today = new Date().toLocaleDateString('en-CA');
    await page.getByLabel('Detected from').fill(today);
    await queueShows(20, 'Critical');
    await page.getByLabel('Detected from').fill('2020-01-01');
    await page.getByLabel('Detected to').fill('2020-01-31');
    await page.getByText('Nothing to review').waitFor();
    await page.getByLabel('Detected from').fill('');
    await page.getByLabel('Detected to').fill('');
    await page.getByLabel('Severity').selectOption('');
    await page.getByLabel('Search', { exact: true }).fill('tx-0042');
    await page.getByRole('button', { name: 'Search' }).click();
    await queueShows(1, 'TX-0042');
    await rows().first().getByText('TX-0042', { exact: true }).waitFor();
    await page.getByLabel('Search', { exact: true }).fill('blocked');
    await page.getByRole('button', { name: 'Search' }).click();
    await queueShows(10, 'Blocked, Ltd');
    await screenshot(page, 'workspace-02-queue-searched');
    await page.getByLabel('Search', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Search' }).click();
    await queueShows(50);
  });

  it('marks a whole page reviewed at once', async () => {
    await page.getByLabel('Rule', { exact: true }).selectOption({ label: 'Wire' });
    await queueShows(50, 'Wire v1');
    await page.getByLabel('Select every violation on this page').check();
    const bulk = page.getByRole('form', { name: 'Change the selected violations' });
    await bulk.getByText('50 selected').waitFor();
    await bulk.getByLabel('Mark as').selectOption('reviewed');
    await bulk.getByLabel('Comment (optional)').fill('Payroll wires, known counterparties');
    await screenshot(page, 'workspace-03-bulk-selected');
    await bulk.getByRole('button', { name: 'Apply to 50' }).click();
    await page.getByText('50 marked reviewed', { exact: true }).waitFor();
    // The queue shows open violations by default: the 150 other wires remain.
    await queueShows(50, 'Open');
    await page.getByLabel('Status', { exact: true }).selectOption('reviewed');
    await queueShows(50, 'Reviewed');
    await rows().first().getByRole('link').first().click();
    await page.getByText('Payroll wires, known counterparties').waitFor();
    // A rule without aggregates shows no empty Aggregates section; its explanation reads as a sentence.
    await page.getByText('type is wire').waitFor();
    expect(await page.getByText('Aggregates', { exact: true }).count()).toBe(0);
    await page
      .getByText(/Lena Lead/)
      .first()
      .waitFor();
    await page.goBack();
    await heading(page, 'Violations');
  });

  it('exports the filtered list as CSV, guarded against spreadsheet formulas', async () => {
    await page.getByLabel('Status', { exact: true }).selectOption('');
    await page.getByLabel('Rule', { exact: true }).selectOption({ label: 'Sanctioned counterparty' });
    await queueShows(20, 'Sanctioned counterparty');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^violations-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8');
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'id,detected_at,severity,risk_score,status,rule_id,rule_name,rule_version,clause_ref,transaction_id,account,counterparty,explanation',
    );
    expect(lines).toHaveLength(21);
    expect(lines.slice(1).every((line) => line.includes(',critical,'))).toBe(true);
    expect(lines.some((line) => line.includes(",'=SUM(1+1),"))).toBe(true);
    expect(lines.some((line) => line.includes(',"Blocked, Ltd",'))).toBe(true);
    expect(consoleErrors).toEqual([]);
  });
});

describe('audit log', () => {
  it('filters the trail by actor, action and date, names people and objects, and exports it', async () => {
    await goTo(page, 'Audit log');
    await page.getByText('Chain verified').waitFor();
    const filters = page.getByRole('form', { name: 'Filter the audit log' });
    await filters.getByLabel('Actor', { exact: true }).selectOption({ label: 'Lena Lead' });
    await filters.getByLabel('Action', { exact: true }).fill('violation.status_changed');
    await filters.getByLabel('From', { exact: true }).fill(new Date().toLocaleDateString('en-CA'));
    await filters.getByRole('button', { name: 'Apply' }).click();
    await queueShows(50, 'violation.status_changed');
    // People and objects by name, their ids on hover.
    const first = rows().first();
    await first.getByText(/^Wire on TX-\d{4}$/).waitFor();
    expect(await first.getByText('Lena Lead').getAttribute('title')).toMatch(/^[0-9a-f-]{36}$/);
    await screenshot(page, 'workspace-04-audit-filtered');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^audit-\d{4}-\d{2}-\d{2}\.csv$/);
    const lines = readFileSync((await download.path())!, 'utf8')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]).toBe(
      'seq,created_at,action,actor_id,actor_name,target_type,target_id,target_name,ip,user_agent,details,prev_hash,hash',
    );
    expect(lines).toHaveLength(51);
    expect(
      lines.slice(1).every((line) => line.includes(',violation.status_changed,') && line.includes(',Lena Lead,')),
    ).toBe(true);
    await filters.getByLabel('From', { exact: true }).fill('2020-01-01');
    await filters.getByLabel('To', { exact: true }).fill('2020-01-02');
    await filters.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No entries match').waitFor();
    expect(consoleErrors).toEqual([]);
  });
});

describe('scan schedules', () => {
  it('adds a daily schedule, shows its next run, pauses and resumes it', async () => {
    await goTo(page, 'Scans');
    await page.getByText('No schedules').waitFor();
    const form = page.getByRole('form', { name: 'New schedule' });
    await form.getByLabel('Frequency').selectOption('daily');
    await form.getByRole('button', { name: 'Add schedule' }).click();
    await page.getByText('Schedule created', { exact: true }).waitFor();
    const schedules = page.getByRole('table', { name: 'Scan schedules' });
    const row = schedules.locator('tbody tr').first();
    await row.getByText('Daily').waitFor();
    await row.getByText('Not run yet').waitFor();
    await row.getByText('Active').waitFor();
    await screenshot(page, 'workspace-05-scan-schedules');
    await row.getByRole('button', { name: 'Pause' }).click();
    await row.getByText('Paused').waitFor();
    await row.getByRole('button', { name: 'Resume' }).click();
    await row.getByText('Active').waitFor();
    expect(consoleErrors).toEqual([]);
  });
});

describe('overview', () => {
  it('names the rules that need review, counts violations by transaction date too, and says what the month counts', async () => {
    await goTo(page, 'Overview');
    await page.getByText(/^Transactions received in /).waitFor();
    await page.getByText(/Counted when ingested, whatever date they carry/).waitFor();
    // Needs review: the rule's name first, the transaction and explanation beneath it.
    const review = page.locator('section', { has: page.getByRole('heading', { name: 'Needs review' }) });
    const first = review.getByRole('listitem').first();
    await first.getByRole('link', { name: /^(Sanctioned counterparty|Large transfer|Wire)$/ }).waitFor();
    await first.getByText(/^TX-\d{4} · /).waitFor();
    const chart = page.locator('section', { has: page.getByRole('heading', { name: 'Violations over time' }) });
    await chart.getByText(/Violations per day they were detected, last 30 days/).waitFor();
    await chart.getByRole('button', { name: 'Transaction date' }).click();
    await chart.getByText(/Violations per day their transaction occurred, last 30 days/).waitFor();
    expect(await chart.getByRole('button', { name: 'Transaction date' }).getAttribute('aria-pressed')).toBe('true');
    await screenshot(page, 'workspace-06-overview-by-transaction-date');
    await chart.getByRole('button', { name: 'Detection date' }).click();
    expect(consoleErrors).toEqual([]);
  });
});

describe('time zone', () => {
  it("shows every time in the user's chosen zone, named", async () => {
    await page.getByRole('button', { name: /^Account menu for / }).click();
    await page.getByRole('menuitem', { name: 'Time zone' }).click();
    const dialog = page.getByRole('dialog', { name: 'Time zone' });
    await dialog.getByLabel('Show times in').selectOption('Asia/Tokyo');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Times are shown in Asia/Tokyo', { exact: true }).waitFor();
    // The overview counts its days in the zone, and says which.
    await page.getByText(/last 30 days \(Asia\/Tokyo\)/).waitFor();
    await goTo(page, 'Audit log');
    await rows()
      .first()
      .getByText(/GMT\+9/)
      .waitFor();
    // The setting is the user's: it is there after signing in again.
    await page.reload();
    await rows()
      .first()
      .getByText(/GMT\+9/)
      .waitFor();
    await page.getByRole('button', { name: /^Account menu for / }).click();
    await page.getByRole('menuitem', { name: 'Time zone' }).click();
    await dialog.getByLabel('Show times in').selectOption('');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByText(/^Times are shown in .+ \(this browser's\)$/).waitFor();
    expect(consoleErrors).toEqual([]);
  });
});

describe('sources', () => {
  it('hints a timestamp format that works, refuses one that cannot, deactivates and deletes a source', async () => {
    await goTo(page, 'Sources');
    await page.getByText('No sources yet').waitFor();
    await page.getByRole('button', { name: 'New source' }).click();
    await page.getByLabel('Name').fill('SAP production');
    await page.getByRole('button', { name: 'Create source' }).click();
    await page.getByTestId('signing-secret').waitFor();
    await page.getByRole('button', { name: 'I have stored it' }).click();
    const card = page.getByTestId('source').filter({ hasText: 'SAP production' });
    await card.getByRole('button', { name: 'Edit mapping' }).click();
    await card.getByText(/e\.g\. YYYY\/MM\/DD HH:mm/).waitFor();
    const format = card.getByLabel('Timestamp format (optional)');
    await format.fill('yyyy/MM/dd HH:mm');
    await card.getByLabel('Time zone for timestamps without offset').fill('Europe/Berlin');
    await card.getByRole('button', { name: 'Save mapping' }).click();
    await card.getByText(/must be unix, unix_ms, or a pattern with the tokens YYYY, MM and DD/).waitFor();
    await format.fill('YYYY/MM/DD HH:mm');
    await card.getByRole('button', { name: 'Save mapping' }).click();
    await page.getByText('Mapping saved', { exact: true }).waitFor();
    await card.getByRole('button', { name: 'Close mapping' }).click();

    await card.getByRole('button', { name: 'Deactivate' }).click();
    await page
      .getByText('SAP production deactivated: its pushes are refused until it is reactivated', { exact: true })
      .waitFor();
    await card.getByText('Inactive').waitFor();
    await screenshot(page, 'workspace-07-source-inactive');
    await card.getByRole('button', { name: 'Reactivate' }).click();
    await card.getByText('Active', { exact: true }).waitFor();
    await card.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete source' }).click();
    await page.getByText('Source SAP production deleted', { exact: true }).waitFor();
    await page.getByText('No sources yet').waitFor();
    expect(consoleErrors).toEqual([]);
  });
});

describe('policies', () => {
  it("downloads a version's original file", async () => {
    await page.goto(`/policies/${policyId}`);
    await heading(page, 'Wire policy');
    await page.getByRole('tab', { name: 'Versions and impact' }).click();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download v1 (wire-policy.md)' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('wire-policy.md');
    expect(readFileSync((await download.path())!, 'utf8')).toBe(POLICY_TEXT);
    expect(consoleErrors).toEqual([]);
  });
});

describe('API reference', () => {
  it('renders the OpenAPI document interactively from this server alone, with request bodies and examples', async () => {
    const elsewhere: string[] = [];
    const onRequest = (request: { url: () => string }) => {
      const url = request.url();
      if (!url.startsWith(journey.baseUrl) && !url.startsWith('data:')) elsewhere.push(url);
    };
    page.on('request', onRequest);
    await page.goto('/api/docs');
    // Tags open collapsed (98 paths): the integrator opens the ones they need.
    await page.locator('#operations-tag-transactions').click();
    await page.locator('#operations-tag-ingest').click();
    const upload = page.locator('.opblock', { hasText: 'Upload transactions' });
    await upload.locator('.opblock-summary').click();
    await upload.getByText('Upload transactions: JSON array, NDJSON or CSV (streamed)').waitFor();
    await upload.getByText('"TX-1001"').first().waitFor();
    // The body in each of its three formats, each with its example.
    await upload.locator('select:has(option[value="text/csv"])').selectOption('text/csv');
    await upload.getByText(/^id,occurred_at,amount,currency,account/).waitFor();
    await upload.locator('select:has(option[value="text/csv"])').selectOption('application/x-ndjson');
    // Swagger UI quotes a string example of a media type that ends in "json", as NDJSON does.
    await upload.getByText(/^"\{\\"id\\":\\"TX-1001\\"/).waitFor();
    const push = page.locator('.opblock', { hasText: 'Push one transaction' });
    await push.locator('.opblock-summary').click();
    await push.getByText('X-NitiLens-Signature').first().waitFor();
    await push.getByText('"SAP-4711"').first().waitFor();
    await page
      .getByRole('button', { name: /Authorize/ })
      .first()
      .waitFor();
    await screenshot(page, 'workspace-08-api-reference');
    page.off('request', onRequest);
    expect(elsewhere).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});

/** Every page of the dashboard, at a phone's and a tablet's width: nothing scrolls sideways. */
describe('phone and tablet widths', () => {
  // 390 px is the phone of issue 17; 375 px the narrowest phone in use; 768 px a tablet.
  const WIDTHS = [375, 390, 768];

  /** A page to visit, and what shows that it is there. */
  type Visit = { name: string; path: string; ready: (on: Page) => Promise<void> };
  const titled = (name: string, path: string, title?: string): Visit => ({
    name,
    path,
    ready: (on) => (title ? heading(on, title) : on.getByRole('heading', { level: 1 }).first().waitFor()),
  });

  /** A plan feature's page on Basic: its title, then what the plan lacks in place of its content. */
  const gated = (name: string, path: string, title: string, feature: string): Visit => ({
    name,
    path,
    ready: async (on) => {
      await heading(on, title);
      await on.getByText(`${feature}: not in the Basic plan`).waitFor();
    },
  });

  /** A plan feature's page on a plan that includes it: its title, then a piece of its content. */
  const withContent = (name: string, path: string, title: string, content: (on: Page) => Locator): Visit => ({
    name,
    path,
    ready: async (on) => {
      await heading(on, title);
      await content(on).first().waitFor();
    },
  });

  /** Visits each page at each width; what scrolls sideways, and a screenshot of each at 390 px. */
  async function sidewaysScroll(on: Page, visits: Visit[], suffix = ''): Promise<string[]> {
    const wide: string[] = [];
    for (const width of WIDTHS) {
      await on.setViewportSize({ width, height: 800 });
      for (const visit of visits) {
        await on.goto(visit.path);
        await visit.ready(on);
        await settled(on);
        const { scrollWidth, innerWidth } = await on.evaluate(() => ({
          scrollWidth: document.scrollingElement!.scrollWidth,
          innerWidth: window.innerWidth,
        }));
        if (scrollWidth > innerWidth) wide.push(`${visit.path}${suffix} at ${width} px: ${scrollWidth} px wide`);
        if (width === 390) await screenshot(on, `workspace-phone-${visit.name}${suffix}`);
      }
    }
    await on.setViewportSize({ width: 1440, height: 900 });
    return wide;
  }

  it('no signed-in page scrolls sideways at 375, 390 or 768 px; tables scroll in their card', async () => {
    const violation = (await call('GET', '/api/violations?limit=1')).items[0]!;
    const rule = (await call('GET', '/api/rules?limit=1')).items[0]!;
    // Cases open by themselves for high and critical violations; one by hand if none has yet.
    const opened = (await call('GET', '/api/cases?limit=1')).items[0];
    const kase = opened ?? (await call('POST', '/api/cases', { violation_ids: [violation.id] }));
    const wide = await sidewaysScroll(page, [
      titled('overview', '/', 'Overview'),
      titled('cases', '/cases', 'Cases'),
      titled('case', `/cases/${kase.id}`),
      titled('case-settings', '/cases/settings', 'Case settings'),
      titled('violations', '/violations', 'Violations'),
      titled('violation', `/violations/${violation.id}`),
      gated('risk', '/risk', 'Risk', 'Risk scores and anomaly detection'),
      titled('scans', '/scans', 'Scans'),
      titled('transactions', '/transactions', 'Transactions'),
      titled('transaction', `/transactions/${violation.transaction_id}`),
      gated('reports', '/reports', 'Reports', 'Reports and evidence packs'),
      titled('policies', '/policies', 'Policies'),
      titled('policy', `/policies/${policyId}`, 'Wire policy'),
      titled('rules', '/rules', 'Rules'),
      titled('rule-new', '/rules/new'),
      titled('rule', `/rules/${rule.id}`),
      gated('screening', '/screening', 'Screening', 'Sanctions and watch-list screening'),
      titled('sources', '/sources', 'Sources'),
      gated('connectors', '/connectors', 'Connectors', 'Database and REST connectors'),
      titled('alerts', '/alerts', 'Alerts'),
      titled('users', '/users', 'Users and roles'),
      titled('audit', '/audit', 'Audit log'),
      titled('operations', '/operations', 'Operations'),
      titled('subscription', '/subscription', 'Subscription'),
      { name: 'not-found', path: '/no-such-page', ready: (on) => on.getByText('Page not found').waitFor() },
      { name: 'api-docs', path: '/api/docs', ready: (on) => on.locator('.opblock-tag').first().waitFor() },
    ]);
    expect(wide).toEqual([]);
    expect(consoleErrors).toEqual([]);
  }, 600_000);

  it('nor do the sign-in and sign-up pages', async () => {
    // A new tab holds no session (the refresh token is kept per tab): it is signed out.
    const signedOut = await page.context().newPage();
    const errors = collectConsoleErrors(signedOut);
    const wide = await sidewaysScroll(signedOut, [
      titled('sign-in', '/signin', 'Sign in'),
      titled('sign-up', '/signup', 'Create your organization'),
    ]);
    await signedOut.close();
    expect(wide).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('nor do the plan features with their content, once the plan includes them', async () => {
    // On Basic, the pass above saw what the plan lacks (and sent no request the plan refuses).
    await call('POST', '/api/subscription/change', { plan: 'enterprise' });
    const wide = await sidewaysScroll(
      page,
      [
        withContent('screening', '/screening', 'Screening', (on) => on.getByRole('tab', { name: 'Lists' })),
        withContent('connectors', '/connectors', 'Connectors', (on) =>
          on.getByRole('button', { name: 'New connector' }),
        ),
        withContent('reports', '/reports', 'Reports', (on) => on.getByRole('heading', { name: 'Generate a report' })),
        withContent('risk', '/risk', 'Risk', (on) => on.getByRole('heading', { name: 'Anomaly model' })),
      ],
      '-enterprise',
    );
    expect(wide).toEqual([]);
    expect(consoleErrors).toEqual([]);
  }, 300_000);

  it('collapses the navigation behind a button', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto('/');
    await heading(page, 'Overview');
    expect(await mainNav(page).isVisible()).toBe(false);
    await goToViaMenu(page, 'Violations');
    await screenshot(page, 'workspace-phone-violations-after-menu');
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(consoleErrors).toEqual([]);
  });
});
