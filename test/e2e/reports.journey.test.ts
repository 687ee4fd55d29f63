import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AlertReceivers, startAlertReceivers } from '../../scripts/alert-receivers';
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
  signUp,
} from './harness';

// Issue 20's "done when", as a new user would: generate this period's compliance summary and open
// the PDF, export violations to CSV and see no cell that a spreadsheet would run, schedule a weekly
// email, download a case's evidence pack and verify it, change a byte and see verification fail.

const stamp = Date.now();
const ADMIN = {
  org: 'E2E Reports Bank Ωμέγα',
  name: 'Rita Reports',
  email: `rita-reports-${stamp}@e2e.test`,
  password: 'correct horse battery staple',
};

let journey: Journey;
let receivers: AlertReceivers;
let page: Page;
let consoleErrors: string[];
let call: Api;
let source: SigningSource;

/** Clicks `button` and keeps the file the browser downloads. */
async function download(click: () => Promise<void>): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent('download'), click()]);
  const path = join(journey.files, file.suggestedFilename());
  await file.saveAs(path);
  return path;
}

function verify(path: string): { status: number; output: string } {
  try {
    return {
      status: 0,
      output: execFileSync('npm', ['run', '--silent', 'verify-evidence', '--', path], { encoding: 'utf8' }),
    };
  } catch (error) {
    const failed = error as { status: number; stdout: string };
    return { status: failed.status, output: failed.stdout };
  }
}

beforeAll(async () => {
  receivers = await startAlertReceivers();
  // Reports are a Pro feature; the SMTP relay for the weekly email.
  journey = await openJourney({
    env: {
      DEFAULT_PLAN: 'enterprise',
      SMTP_URL: receivers.smtpUrl,
      SMTP_FROM: 'reports@e2e.test',
      ALERT_ALLOW_PRIVATE_URLS: 'true',
    },
    timeoutMs: 60_000,
  });
  ({ page, consoleErrors } = journey);
});

afterAll(async () => {
  await journey?.close();
  await receivers?.stop();
});

describe('happy', () => {
  it('signs up and finds no reports yet', async () => {
    await signUp(page, ADMIN);
    call = apiAs(journey.baseUrl, await login(journey.baseUrl, ADMIN.email, ADMIN.password));
    await approvedRule(call, {
      name: 'Wire above 50,000',
      severity: 'critical',
      clause_ref: 'AML 4.2',
      condition: { field: 'amount', op: 'gt', value: 50000 },
    });
    source = await createSource(call, 'Core banking');
    await pushSigned(journey.baseUrl, source, [
      {
        id: `W1-${stamp}`,
        occurred_at: new Date().toISOString(),
        amount: '75000.00',
        currency: 'USD',
        account: 'ACC-7781',
      },
      {
        id: `W2-${stamp}`,
        occurred_at: new Date().toISOString(),
        amount: '91000.00',
        currency: 'USD',
        account: 'ACC-7781',
      },
      {
        id: `W3-${stamp}`,
        occurred_at: new Date().toISOString(),
        amount: '60000.00',
        currency: 'USD',
        account: '=HYPERLINK("http://evil.example","open me")',
        counterparty: 'Žofia Ñúñez 王',
      },
    ]);

    await goTo(page, 'Reports');
    await page.getByText('No reports yet').waitFor();
    await page.getByText('No report is scheduled.').waitFor();
    await screenshot(page, 'reports-01-empty');
  });

  it("generates this month's compliance summary, watches it complete and opens the PDF", async () => {
    await page.getByLabel('Period').selectOption('this_month');
    await page.getByRole('button', { name: 'Generate' }).click();
    await page.getByText('Compliance summary queued', { exact: true }).waitFor();
    const row = page.getByRole('row', { name: /Compliance summary/ }).first();
    // The list reads itself again while the report is being made: no reload.
    await row.getByText('Completed').waitFor({ timeout: 60_000 });
    await screenshot(page, 'reports-02-summary-completed');
    const path = await download(() => row.getByRole('button', { name: 'Download' }).click());
    expect(path).toMatch(/compliance-summary-.*\.pdf$/);
    const bytes = new Uint8Array(readFileSync(path));
    expect(new TextDecoder().decode(bytes.slice(0, 5))).toBe('%PDF-');
    const { text } = await extractText(await getDocumentProxy(bytes), { mergePages: true });
    expect(text).toContain('Compliance summary');
    expect(text).toContain('E2E Reports Bank Ωμέγα');
    expect(text).toContain('Wire above 50,000');
    expect(text).toContain('AML 4.2');
    expect(text).toContain('Page 1 of');
  });

  it('exports violations to CSV with no cell a spreadsheet would run', async () => {
    await page.getByRole('form', { name: 'Generate a report' }).getByLabel('Report').selectOption('violations');
    await page.getByRole('button', { name: 'Generate' }).click();
    const row = page.getByRole('row', { name: /^Violations/ }).first();
    await row.getByText('Completed').waitFor({ timeout: 60_000 });
    const path = await download(() => row.getByRole('button', { name: 'Download' }).click());
    const csv = readFileSync(path, 'utf8');
    expect(csv.split('\r\n')[0]).toBe(
      'id,detected_at,severity,risk_score,status,rule_id,rule_name,rule_version,clause_ref,transaction_id,account,counterparty,explanation',
    );
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""open me"")"`);
    expect(csv).not.toMatch(/(^|,)[=+@]/m);
    await screenshot(page, 'reports-03-violations-csv');
  });

  it('schedules a weekly summary by email', async () => {
    await call('POST', '/api/alert-channels', {
      name: 'Compliance inbox',
      type: 'email',
      config: { to: ['compliance@e2e.test'] },
    });
    await page.reload();
    await heading(page, 'Reports');
    const form = page.getByRole('form', { name: 'Schedule a report' });
    await form.getByLabel('Report').selectOption('compliance_summary');
    await form.getByLabel('Cadence').selectOption('weekly');
    await form.getByLabel('Deliver to').selectOption({ label: 'Compliance inbox (email)' });
    await form.getByRole('button', { name: 'Schedule' }).click();
    await page.getByText('Scheduled weekly', { exact: true }).waitFor();
    const schedule = page.getByRole('table', { name: 'Report schedules' }).getByRole('row').nth(1);
    await schedule.getByText('Compliance inbox').waitFor();
    await schedule.getByText('not yet').waitFor();
    await screenshot(page, 'reports-04-weekly-schedule');
  });

  it("downloads a case's evidence pack, verifies it, and sees a changed byte fail", async () => {
    await goTo(page, 'Cases');
    await page.getByRole('link', { name: /#1 Wire above 50,000 on ACC-7781/ }).click();
    await heading(page, /#1 Wire above 50,000/);
    const path = await download(() => page.getByRole('button', { name: 'Evidence pack' }).click());
    expect(path).toMatch(/case-1-evidence\.zip$/);
    await screenshot(page, 'reports-05-evidence-pack');

    const intact = verify(path);
    expect(intact.status).toBe(0);
    expect(intact.output).toContain('every hash matches');

    // One byte of violations.json changed inside the ZIP (stored, so the text is there as written).
    const bytes = readFileSync(path);
    const at = bytes.indexOf(Buffer.from('"severity": "critical"'));
    expect(at).toBeGreaterThan(0);
    bytes[at + 14] = 'C'.charCodeAt(0);
    const tampered = join(journey.files, 'tampered.zip');
    writeFileSync(tampered, bytes);
    const failed = verify(tampered);
    expect(failed.status).toBe(1);
    expect(failed.output).toMatch(/MISMATCH {2}violations\.json: SHA-256/);
  });

  it('pages through a long list of reports', async () => {
    const today = new Date().toISOString().slice(0, 10);
    for (let i = 0; i < 25; i++) await call('POST', '/api/reports', { type: 'cases', from: today, to: today });
    await goTo(page, 'Reports');
    const table = page.getByRole('table', { name: 'Reports' });
    // 27 reports, 25 a page: the newest 25 here, once each is completed.
    await page.waitForFunction(
      () => document.querySelectorAll('table[aria-label="Reports"] tbody tr').length === 25,
      undefined,
      { timeout: 30_000 },
    );
    await table.getByText('Completed').nth(24).waitFor({ timeout: 60_000 });
    await page.getByText('Page 1').waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Page 2').waitFor();
    await table.getByRole('row', { name: /^Compliance summary/ }).waitFor();
    expect(await table.locator('tbody tr').count()).toBe(2);
    await screenshot(page, 'reports-06-second-page');
    expect(consoleErrors).toEqual([]);
  });
});
