import { createExecutionContext, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BACKGROUND_LIMITS, createDatabaseClient } from '../db/client';
import { ruleVersions, scanChunks, scanSchedules, scans } from '../db/schema';
import { withTenant } from '../db/tenant';
import { processDeadLetter } from '../queues/scans';
import { app } from '../worker/app';
import { finishJob, recordJob } from '../worker/operations/jobs';
import { shardStub } from '../worker/platform/metrics';
import { runDueSchedules } from '../worker/scans/schedules';
import { pushTransactions, receiver, route, transaction, webhookChannel } from './alerts-fixtures';
import {
  addMember,
  api,
  apiJson,
  approvedRule,
  expectProblem,
  registerOrganization,
  type Session,
  signInPlatformOperator,
  withDatabase,
} from './helpers';
import { insertTransactions, waitForScan } from './rules-fixtures';

/** A line of the one logger (worker/platform/log.ts): a JSON object of fields. */
type LogLine = Record<string, unknown>;

const METRICS_TOKEN = 'test-metrics-token-0123456789';

async function scrape(): Promise<string> {
  const response = await api('GET', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** The value of one series in a scrape (0 when absent). */
function seriesValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

let org: Session;

beforeAll(async () => {
  org = await registerOrganization('Operations Org');
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('GET /metrics', () => {
  it('is 401 without the token or with a wrong one, and 404 when METRICS_TOKEN is unset', async () => {
    await expectProblem(await api('GET', '/metrics'), 401);
    expect((await api('GET', '/metrics', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const unset = await app.fetch(
      new Request('http://nitilens.test/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }),
      { ...env, METRICS_TOKEN: undefined },
      createExecutionContext(),
    );
    expect(unset.status).toBe(404);
  });

  it('counts requests by route template, never by raw path, with a duration histogram', async () => {
    const before = await scrape();
    const series = 'nitilens_http_requests_total{method="GET",route="/api/rules/{id}",status="404"}';
    const missingRule = crypto.randomUUID();
    await apiJson('GET', `/api/rules/${missingRule}`, 404, { token: org.access_token });
    await apiJson('GET', `/api/rules/${crypto.randomUUID()}`, 404, { token: org.access_token });
    const after = await scrape();
    expect(seriesValue(after, series) - seriesValue(before, series)).toBe(2);
    expect(after).not.toContain(missingRule);
    expect(after).toMatch(/# TYPE nitilens_http_request_duration_seconds histogram/);
    expect(
      seriesValue(after, 'nitilens_http_request_duration_seconds_count{method="GET",route="/api/rules/{id}"}'),
    ).toBeGreaterThanOrEqual(2);
    for (const name of [
      'nitilens_http_requests_total',
      'nitilens_transactions_ingested_total',
      'nitilens_violations_total',
      'nitilens_scans_total',
      'nitilens_alert_deliveries_total',
      'nitilens_db_slow_queries_total',
      'nitilens_jobs_failed_total',
    ])
      expect(after).toContain(`# TYPE ${name} counter`);
    // An unknown route is one series, whatever was asked for.
    await api('GET', `/api/no-such-thing/${crypto.randomUUID()}`);
    expect(await scrape()).toMatch(/nitilens_http_requests_total\{method="GET",route="unmatched",status="404"\} \d+/);
  });

  it('counts transactions stored, violations by severity and scans, once each', async () => {
    const fresh = await registerOrganization('Metrics Scan Org');
    await approvedRule(fresh.access_token, {
      name: 'Large',
      severity: 'critical',
      condition: { field: 'amount', op: 'gt', value: 1000 },
    });
    const before = await scrape();
    // Pushed through a signed webhook: stored and checked against the rule as they arrive.
    await pushTransactions(fresh.access_token, [
      transaction({ amount: '5000.00' }),
      transaction({ amount: '5000.00' }),
      transaction({ amount: '50.00' }),
    ]);
    const queued = await apiJson('POST', '/api/scans', 202, { token: fresh.access_token, body: {} });
    await waitForScan(fresh.access_token, queued.id);
    // A second scan finds the same violations again: nothing new is stored, nothing more is counted.
    const again = await apiJson('POST', '/api/scans', 202, { token: fresh.access_token, body: {} });
    await waitForScan(fresh.access_token, again.id);
    const after = await scrape();
    const delta = (series: string) => seriesValue(after, series) - seriesValue(before, series);
    expect(delta('nitilens_transactions_ingested_total')).toBe(3);
    // Found at the push; the scans find them again and store (and count) nothing more.
    expect(delta('nitilens_violations_total{severity="critical"}')).toBe(2);
    expect(delta('nitilens_scans_total{status="queued"}')).toBe(2);
    expect(delta('nitilens_scans_total{status="completed"}')).toBe(2);
  });

  it('sums every isolate: a batch another isolate hands over counts once, even when delivered twice or across a restart', async () => {
    const series = 'nitilens_transactions_ingested_total';
    const before = seriesValue(await scrape(), series);
    const shard = shardStub(env, 2);
    const source = `other-isolate-${crypto.randomUUID()}`;
    const batch = { source, seq: 1, deltas: { [series]: 7 }, slow: [] };
    expect(await shard.add(batch)).toBe(true);
    // The shard restarts (its in-memory state is gone), then the isolate, which never heard back, sends again.
    await runInDurableObject(shard, (_instance, state) => {
      state.abort?.('drill: restarted mid-count');
    }).catch(() => undefined);
    // A stub outlives nothing of a broken object: the isolate asks for the shard again.
    const restarted = shardStub(env, 2);
    expect(await restarted.add(batch)).toBe(false);
    expect(await restarted.add({ ...batch, seq: 2, deltas: { [series]: 5 } })).toBe(true);
    expect(seriesValue(await scrape(), series) - before).toBe(12);
  });
});

describe('logs', () => {
  it('writes one JSON line per request with the contract fields', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => lines.push(line));
    vi.spyOn(console, 'warn').mockImplementation((line: string) => lines.push(line));
    const response = await api('GET', '/api/auth/me', {
      token: org.access_token,
      headers: { 'x-request-id': 'trace-17' },
    });
    expect(response.status).toBe(200);
    const entry = lines
      .map((line) => JSON.parse(line) as LogLine)
      .find((one) => one.request_id === 'trace-17' && one.message === 'request');
    expect(entry).toEqual({
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      level: 'info',
      message: 'request',
      method: 'GET',
      path: '/api/auth/me',
      status_code: 200,
      duration: expect.any(Number),
      request_id: 'trace-17',
      user_id: org.user.id,
      org_id: org.organization.id,
    });
  });

  it('logs a statement slower than 200 ms at warn with its duration and digest, and counts it', async () => {
    const before = seriesValue(await scrape(), 'nitilens_db_slow_queries_total');
    const warnings: string[] = [];
    vi.spyOn(console, 'warn').mockImplementation((line: string) => warnings.push(line));
    const client = createDatabaseClient(env.HYPERDRIVE.connectionString, BACKGROUND_LIMITS, { requestId: 'slow-1' });
    try {
      await client.db.execute(sql`select pg_sleep(0.25), 'secret-literal' as value`);
      await client.db.transaction((tx) => tx.execute(sql`select pg_sleep(0.21)`));
    } finally {
      await client.close();
    }
    const slow = warnings
      .map((line) => JSON.parse(line) as LogLine)
      .filter((entry) => entry.message === 'slow statement');
    expect(slow).toHaveLength(2);
    expect(slow[0]).toMatchObject({
      level: 'warn',
      request_id: 'slow-1',
      digest: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(slow[0]?.duration_ms).toBeGreaterThanOrEqual(200);
    expect(slow[0]?.statement).toBe('select pg_sleep(?), ? as value');
    expect(seriesValue(await scrape(), 'nitilens_db_slow_queries_total') - before).toBe(2);
    const operator = await signInPlatformOperator();
    const overview = await apiJson('GET', '/api/admin/operations', 200, { token: operator.access_token });
    expect(overview.slow_statements).toEqual(
      expect.arrayContaining([expect.objectContaining({ digest: slow[0]?.digest, statement: slow[0]?.statement })]),
    );
  });
});

describe('jobs', () => {
  it("lists the organization's scans and schedule runs with status and duration; other organizations see none of them", async () => {
    const fresh = await registerOrganization('Jobs Org');
    await approvedRule(fresh.access_token, {
      name: 'Any',
      severity: 'low',
      condition: { field: 'amount', op: 'gt', value: 0 },
    });
    await insertTransactions(fresh.organization.id, [
      { id: 'J1', occurred_at: '2026-03-01T10:00:00Z', amount: '10.00' },
    ]);
    const queued = await apiJson('POST', '/api/scans', 202, { token: fresh.access_token, body: {} });
    await waitForScan(fresh.access_token, queued.id);
    await withDatabase((db) =>
      withTenant(db, fresh.organization.id, (tx) =>
        tx
          .insert(scanSchedules)
          .values({ orgId: fresh.organization.id, frequency: 'daily', nextRunAt: new Date(Date.now() - 60_000) }),
      ),
    );
    await withDatabase((db) => runDueSchedules(env, db, new Date()));

    const page = await apiJson('GET', '/api/jobs', 200, { token: fresh.access_token });
    const scan = page.items.find((job) => job.id === queued.id);
    expect(scan).toEqual({
      id: queued.id,
      kind: 'scan',
      status: 'succeeded',
      started_at: expect.any(String),
      finished_at: expect.any(String),
      duration_ms: expect.any(Number),
      error: null,
    });
    expect(page.items.find((job) => job.kind === 'schedule_run')).toMatchObject({
      status: 'succeeded',
      duration_ms: expect.any(Number),
    });
    const onlyRuns = await apiJson('GET', '/api/jobs?kind=schedule_run', 200, { token: fresh.access_token });
    expect(onlyRuns.items.map((job) => job.kind)).toEqual(['schedule_run']);
    const succeeded = await apiJson('GET', '/api/jobs?status=succeeded&limit=1', 200, { token: fresh.access_token });
    expect(succeeded.items).toHaveLength(1);
    expect(succeeded.next_cursor).toEqual(expect.any(String));
    const next = await apiJson('GET', `/api/jobs?status=succeeded&limit=1&cursor=${succeeded.next_cursor}`, 200, {
      token: fresh.access_token,
    });
    expect(next.items[0]!.id).not.toBe(succeeded.items[0]!.id);

    const others = await apiJson('GET', '/api/jobs', 200, { token: org.access_token });
    expect(others.items.map((job) => job.id)).not.toContain(queued.id);
    await apiJson('GET', '/api/jobs?kind=unknown', 400, { token: fresh.access_token });
  });

  it('a failed scan is a failed job that raises job.failed and counts in nitilens_jobs_failed_total', async () => {
    const fresh = await registerOrganization('Failing Jobs Org');
    const hook = receiver();
    const channel = await webhookChannel(fresh.access_token, hook.url);
    await route(fresh.access_token, { channel_id: channel.id, events: ['job.failed'], mode: 'immediate' });
    const rule = await approvedRule(fresh.access_token, {
      name: 'R',
      severity: 'high',
      condition: { field: 'amount', op: 'gt', value: 1 },
    });
    const before = seriesValue(await scrape(), 'nitilens_jobs_failed_total{kind="scan"}');
    const orgId = fresh.organization.id;
    const message = await withDatabase((db) =>
      withTenant(db, orgId, async (tx) => {
        const [version] = await tx
          .insert(ruleVersions)
          .values({
            orgId,
            ruleId: rule.id,
            version: 99,
            name: 'broken',
            severity: 'high',
            condition: {},
            status: 'approved',
          })
          .returning();
        const [scan] = await tx
          .insert(scans)
          .values({ orgId, ruleVersionIds: [version!.id], total: 1, chunksTotal: 1 })
          .returning();
        await tx.insert(scanChunks).values({ orgId, scanId: scan!.id, chunk: 0, firstId: 0, lastId: 10, size: 1 });
        return { kind: 'scan.chunk' as const, orgId, scanId: scan!.id, chunk: 0, firstId: 0, lastId: 10 };
      }),
    );
    await processDeadLetter(env, message);
    const [request] = await hook.waitFor(1);
    expect(JSON.parse(request!.body) as unknown).toMatchObject({
      type: 'job.failed',
      data: { job_id: message.scanId, kind: 'scan', error: expect.stringContaining('Chunk 1 failed') },
    });
    const failed = await apiJson('GET', '/api/jobs?status=failed', 200, { token: fresh.access_token });
    expect(failed.items).toEqual([
      expect.objectContaining({
        id: message.scanId,
        kind: 'scan',
        status: 'failed',
        error: expect.stringContaining('Chunk 1'),
      }),
    ]);
    expect(seriesValue(await scrape(), 'nitilens_jobs_failed_total{kind="scan"}') - before).toBe(1);
  });

  it('recordJob and finishJob give report runs and model trainings a place in the list', async () => {
    const orgId = org.organization.id;
    const jobId = await withDatabase((db) => withTenant(db, orgId, (tx) => recordJob(tx, orgId, 'model_training')));
    const running = await apiJson('GET', '/api/jobs?kind=model_training', 200, { token: org.access_token });
    expect(running.items[0]).toMatchObject({ id: jobId, status: 'running', finished_at: null, duration_ms: null });
    await withDatabase((db) => withTenant(db, orgId, (tx) => finishJob(env, tx, orgId, jobId, 'the model diverged')));
    const failed = await apiJson('GET', '/api/jobs?kind=model_training', 200, { token: org.access_token });
    expect(failed.items[0]).toMatchObject({ id: jobId, status: 'failed', error: 'the model diverged' });
  });

  it('admins only: a viewer is 403; GET /api/admin/jobs is for super_admin and lists every organization', async () => {
    const viewer = await addMember(org, 'viewer');
    await apiJson('GET', '/api/jobs', 403, { token: viewer.token });
    await apiJson('GET', '/api/admin/jobs', 403, { token: org.access_token });
    await apiJson('GET', '/api/admin/operations', 403, { token: org.access_token });
    const operator = await signInPlatformOperator();
    const all = await apiJson('GET', `/api/admin/jobs?org_id=${org.organization.id}&kind=model_training`, 200, {
      token: operator.access_token,
    });
    expect(all.items[0]).toMatchObject({ org_id: org.organization.id, kind: 'model_training' });
    const overview = await apiJson('GET', '/api/admin/operations', 200, { token: operator.access_token });
    expect(overview.jobs).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'model_training' })]));
    expect(overview.requests[0]).toEqual({
      method: expect.any(String),
      route: expect.any(String),
      total: expect.any(Number),
      server_errors: expect.any(Number),
      error_rate: expect.any(Number),
    });
  });
});
