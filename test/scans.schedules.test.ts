import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { scanSchedules } from '../db/schema';
import { withTenant } from '../db/tenant';
import worker from '../worker/index';
import { nextCronRun, parseCron } from '../worker/scans/cron';
import {
  addMember,
  api,
  apiJson,
  approvedRule,
  type Problem,
  registerOrganization,
  type Session,
  withDatabase,
} from './helpers';
import { countRows, insertTransactions, waitForScan } from './rules-fixtures';

let org: Session;

beforeAll(async () => {
  org = await registerOrganization('Schedules Org');
  await approvedRule(org.access_token, {
    name: 'Large',
    severity: 'medium',
    condition: { field: 'amount', op: 'gt', value: 1000 },
  });
});

async function makeDue(scheduleId: string): Promise<void> {
  await withDatabase((db) =>
    withTenant(db, org.organization.id, (tx) =>
      tx
        .update(scanSchedules)
        .set({ nextRunAt: sql`now() - interval '1 minute'` })
        .where(eq(scanSchedules.id, scheduleId)),
    ),
  );
}

async function fireCron(): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: '* * * * *', scheduledTime: Date.now() }), env, ctx);
  await waitOnExecutionContext(ctx);
}

async function scansOf(scheduleId: string) {
  const page = await apiJson('GET', '/api/scans?limit=200', 200, { token: org.access_token });
  return page.items.filter((s) => s.schedule_id === scheduleId);
}

describe('happy', () => {
  it('cron expressions: lists, ranges, steps, and both day fields', () => {
    const after = new Date('2026-03-04T10:07:30Z'); // a Wednesday
    const next = (expression: string) => nextCronRun(parseCron(expression), after)?.toISOString();
    expect(next('*/15 * * * *')).toBe('2026-03-04T10:15:00.000Z');
    expect(next('5,50 9-11 * * *')).toBe('2026-03-04T10:50:00.000Z');
    expect(next('0 0 * * 1')).toBe('2026-03-09T00:00:00.000Z');
    expect(next('0 12 1 * 7')).toBe('2026-03-08T12:00:00.000Z');
    expect(next('30 2 29 2 *')).toBe('2028-02-29T02:30:00.000Z');
    expect(next('10-50/20 * * * *')).toBe('2026-03-04T10:10:00.000Z');
  });

  it('creates, reads, lists, changes and deletes a schedule, computing the next run', async () => {
    const created = await apiJson('POST', '/api/scans/schedules', 201, {
      token: org.access_token,
      body: { frequency: 'daily' },
    });
    expect(created).toMatchObject({
      frequency: 'daily',
      cron_expression: null,
      rule_ids: null,
      enabled: true,
      watermark: null,
      last_run_at: null,
    });
    expect(created.next_run_at).toMatch(/T00:00:00\.000Z$/);
    expect(Date.parse(created.next_run_at) - Date.now()).toBeLessThanOrEqual(86_400_000);

    const changed = await apiJson('PATCH', `/api/scans/schedules/${created.id}`, 200, {
      token: org.access_token,
      body: { frequency: 'cron', cron_expression: '*/30 * * * *' },
    });
    expect(changed).toMatchObject({ frequency: 'cron', cron_expression: '*/30 * * * *' });
    expect(new Date(changed.next_run_at).getUTCMinutes() % 30).toBe(0);
    expect(await apiJson('GET', `/api/scans/schedules/${created.id}`, 200, { token: org.access_token })).toEqual(
      changed,
    );

    const listed = await apiJson('GET', '/api/scans/schedules?limit=1', 200, { token: org.access_token });
    expect(listed.items.map((s) => s.id)).toEqual([created.id]);
    expect(listed.items[0]!.last_scan).toBeNull();

    expect((await api('DELETE', `/api/scans/schedules/${created.id}`, { token: org.access_token })).status).toBe(204);
    expect((await api('GET', `/api/scans/schedules/${created.id}`, { token: org.access_token })).status).toBe(404);
    const audited = await countRows(
      org.organization.id,
      'audit_log',
      sql`target_id = ${created.id} and action in ('schedule.created', 'schedule.updated', 'schedule.deleted')`,
    );
    expect(audited).toBe(3);
  });

  it('the Cron Trigger runs due schedules as incremental scans, each covering what was ingested since the last', async () => {
    await insertTransactions(org.organization.id, [
      { id: 'H1', occurred_at: '2026-06-01T09:00:00Z', amount: '5000.00' },
      { id: 'H2', occurred_at: '2026-06-01T10:00:00Z', amount: '10.00' },
    ]);
    const schedule = await apiJson('POST', '/api/scans/schedules', 201, {
      token: org.access_token,
      body: { frequency: 'hourly' },
    });
    await fireCron();
    expect(await scansOf(schedule.id)).toEqual([]);

    await makeDue(schedule.id);
    await fireCron();
    const [first] = await scansOf(schedule.id);
    expect(first).toMatchObject({ trigger: 'schedule', ingested_after: null });
    expect(await waitForScan(org.access_token, first!.id)).toMatchObject({
      status: 'completed',
      total: 2,
      violations_found: 1,
    });
    const afterFirst = await apiJson('GET', `/api/scans/schedules/${schedule.id}`, 200, { token: org.access_token });
    expect(afterFirst.watermark).toBe(first!.created_at);
    expect(Date.parse(afterFirst.next_run_at)).toBeGreaterThan(Date.now());
    expect(afterFirst.last_run_at).not.toBeNull();

    await insertTransactions(org.organization.id, [
      { id: 'H3', occurred_at: '2026-05-01T09:00:00Z', amount: '9000.00' },
    ]);
    await makeDue(schedule.id);
    await fireCron();
    const [second] = await scansOf(schedule.id);
    expect(second!.id).not.toBe(first!.id);
    expect(await waitForScan(org.access_token, second!.id)).toMatchObject({
      status: 'completed',
      total: 1,
      processed: 1,
      violations_found: 1,
    });
    expect(await countRows(org.organization.id, 'audit_log', sql`action = 'scan.started' and actor_id is null`)).toBe(
      2,
    );
    // The list shows each schedule's last result: its latest scan.
    const listed = await apiJson('GET', '/api/scans/schedules?limit=200', 200, { token: org.access_token });
    expect(listed.items.find((s) => s.id === schedule.id)!.last_scan).toEqual({
      id: second!.id,
      status: 'completed',
      violations_found: 1,
      created_at: second!.created_at,
      finished_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    });
  });
});

describe('errors', () => {
  it('invalid schedules are 400s naming the field', async () => {
    for (const body of [
      { frequency: 'cron' },
      { frequency: 'cron', cron_expression: '61 * * * *' },
      { frequency: 'cron', cron_expression: '0 0 30 2 *' },
      { frequency: 'cron', cron_expression: '* * * *' },
      { frequency: 'cron', cron_expression: '*/0 * * * *' },
    ]) {
      const response = await api('POST', '/api/scans/schedules', { token: org.access_token, body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(((await response.json()) as Problem).errors![0]!.path).toBe('cron_expression');
    }
    const unknownRule = await api('POST', '/api/scans/schedules', {
      token: org.access_token,
      body: { frequency: 'daily', rule_ids: [crypto.randomUUID()] },
    });
    expect(unknownRule.status).toBe(400);
    expect(((await unknownRule.json()) as Problem).errors![0]!.path).toBe('rule_ids.0');
    expect(
      (await api('POST', '/api/scans/schedules', { token: org.access_token, body: { frequency: 'monthly' } })).status,
    ).toBe(400);
  });
});

describe('security', () => {
  it("a viewer cannot manage schedules; another organization's schedule is a 404", async () => {
    const schedule = await apiJson('POST', '/api/scans/schedules', 201, {
      token: org.access_token,
      body: { frequency: 'weekly' },
    });
    const viewer = await addMember(org, 'viewer');
    expect((await api('GET', '/api/scans/schedules', { token: viewer.token })).status).toBe(403);
    const other = await registerOrganization('Schedule Intruder Org');
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { enabled: false }],
      ['DELETE', undefined],
    ] as const) {
      expect(
        (await api(method, `/api/scans/schedules/${schedule.id}`, { token: other.access_token, body })).status,
      ).toBe(404);
    }
    expect((await apiJson('GET', '/api/scans/schedules', 200, { token: other.access_token })).items).toEqual([]);
  });
});
