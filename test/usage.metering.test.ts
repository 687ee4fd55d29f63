import {
  createExecutionContext,
  createScheduledController,
  runDurableObjectAlarm,
  runInDurableObject,
} from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { withTenant } from '../db/tenant';
import { AlarmSchedule } from '../durable-objects/alarms';
import { UsageCounter } from '../durable-objects/usage-counter';
import worker from '../worker/index';
import { api, apiJson, createSource, expectProblem, pushSigned, registerOrganization, withDatabase } from './helpers';

const period = () => new Date().toISOString().slice(0, 7);

const rows = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i}`,
    occurred_at: '2026-03-01T09:30:00Z',
    amount: '1',
    currency: 'USD',
    account: 'A',
  }));

async function usageRow(orgId: string, month = period()): Promise<number | undefined> {
  const [row] = await withDatabase((db) =>
    withTenant(db, orgId, (tx) =>
      tx.execute<{ transactions: string }>(
        sql`select transactions from usage where org_id = ${orgId} and period = ${month}`,
      ),
    ),
  );
  return row === undefined ? undefined : Number(row.transactions);
}

/** The first defined value `read` gives within `timeoutMs` (undefined if none). */
async function eventually<T>(read: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Puts the organization near its limit before its hub first counts (the hub starts from Postgres). */
async function alreadyUsed(orgId: string, transactions: number): Promise<void> {
  await withDatabase((db) =>
    withTenant(db, orgId, (tx) =>
      tx.execute(sql`insert into usage (org_id, period, transactions) values (${orgId}, ${period()}, ${transactions})`),
    ),
  );
}

describe('happy', () => {
  it('counts only new transactions and flushes the count to the usage table', async () => {
    const org = await registerOrganization('Metered');
    await apiJson('POST', '/api/transactions', 200, { token: org.access_token, body: rows('U', 30) });
    await apiJson('POST', '/api/transactions', 200, {
      token: org.access_token,
      body: [...rows('U', 30), { id: 'bad' }],
    });
    const hub = env.ORG_HUB.get(env.ORG_HUB.idFromName(org.organization.id));
    expect(await runDurableObjectAlarm(hub)).toBe(true);
    expect(await usageRow(org.organization.id)).toBe(30);
  });

  it('accepts the 10,000 transactions of the basic plan exactly', async () => {
    const org = await registerOrganization('Exactly Ten Thousand');
    const ndjson = rows('T', 10_000)
      .map((row) => JSON.stringify(row))
      .join('\n');
    const report = await apiJson('POST', '/api/transactions', 200, {
      token: org.access_token,
      rawBody: ndjson,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(report).toEqual({ accepted: 10_000, duplicates: 0, rejected: 0, errors: [] });
    const over = await api('POST', '/api/transactions', { token: org.access_token, body: rows('T2', 1) });
    expect(over.status).toBe(402);
    expect(await over.json()).toMatchObject({
      status: 402,
      limit: 10_000,
      used: 10_000,
      plan: 'basic',
      limit_name: 'transactions_per_month',
    });
  });
});

describe('happy: the monthly cron', () => {
  it('rolls each counting organization over on the 1st, flushing its count without waiting for the alarm', async () => {
    const org = await registerOrganization('Rolled Over');
    await alreadyUsed(org.organization.id, 5);
    await apiJson('POST', '/api/transactions', 200, { token: org.access_token, body: rows('R', 7) });
    expect(await usageRow(org.organization.id)).toBe(5);
    const controller = createScheduledController({ cron: '0 0 1 * *', scheduledTime: new Date() });
    await worker.scheduled(controller, env, createExecutionContext());
    expect(await usageRow(org.organization.id)).toBe(12);
  });
});

describe('happy: a month that ended', () => {
  it("writes the ended month's unflushed count by the alarm, and starts the new month from Postgres", async () => {
    const org = await registerOrganization('Month Ended');
    const orgId = org.organization.id;
    await alreadyUsed(orgId, 4);
    const hub = env.ORG_HUB.get(env.ORG_HUB.idFromName(orgId));
    // The hub last counted in January, and 9 of that month's transactions never reached Postgres.
    await runInDurableObject(hub, async (_, state) => {
      const counter = new UsageCounter(state, env, new AlarmSchedule(state.storage));
      await counter.reserve(orgId, 9, null, { period: '2026-01', used: 0 }, new Date('2026-01-20T12:00:00Z'));
    });
    const source = await createSource(org.access_token);

    const response = await pushSigned(source.id, source.signing_secret, rows('ME', 2));
    expect(response.status).toBe(200);
    // The alarm is due at once, so the runtime may already be running it: run it if it is still
    // pending, and give one in flight a moment to finish its write.
    await runDurableObjectAlarm(hub);
    expect(await eventually(() => usageRow(orgId, '2026-01'))).toBe(9);
    expect(await apiJson('GET', '/api/subscription', 200, { token: org.access_token })).toMatchObject({
      period: period(),
      usage: { transactions_per_month: 6 },
    });
  });
});

describe('errors', () => {
  it('accepts a batch up to the limit and rejects the rest per row; then answers 402', async () => {
    const org = await registerOrganization('Near The Limit');
    await alreadyUsed(org.organization.id, 9_990);
    const report = await apiJson('POST', '/api/transactions', 200, { token: org.access_token, body: rows('L', 15) });
    expect([report.accepted, report.rejected]).toEqual([10, 5]);
    expect(report.errors.map((e) => e.row)).toEqual([11, 12, 13, 14, 15]);
    expect(report.errors[0]!.errors[0]!.message).toContain('plan limit reached');

    // Re-sending is still safe over the limit: stored rows are duplicates, not plan-limit rejections.
    const resend = await apiJson('POST', '/api/transactions', 200, { token: org.access_token, body: rows('L', 10) });
    expect(resend).toEqual({ accepted: 0, duplicates: 10, rejected: 0, errors: [] });

    const refused = await api('POST', '/api/transactions', { token: org.access_token, body: rows('M', 3) });
    expect(await expectProblem(refused, 402)).toMatchObject({ limit: 10_000, used: 10_000, plan: 'basic' });
  });

  it('applies the same limit to webhook pushes; a replay past the limit is still a duplicate', async () => {
    const org = await registerOrganization('Webhook Limit');
    await alreadyUsed(org.organization.id, 9_998);
    const source = await createSource(org.access_token);
    const [first, second, third] = rows('W', 3);
    const statuses = async (response: Response) => {
      expect(response.status).toBe(200);
      return ((await response.json()) as { results: { id: string; status: string }[] }).results.map((result) => [
        result.id,
        result.status,
      ]);
    };

    expect(await statuses(await pushSigned(source.id, source.signing_secret, [first, second, third]))).toEqual([
      ['W-0', 'accepted'],
      ['W-1', 'accepted'],
      ['W-2', 'rejected'],
    ]);
    // At the limit a replay is still answered as a duplicate; nothing new can be stored, so a push with a new one is 402.
    expect(await statuses(await pushSigned(source.id, source.signing_secret, first))).toEqual([['W-0', 'duplicate']]);
    const refused = await pushSigned(source.id, source.signing_secret, [first, third]);
    expect(await expectProblem(refused, 402)).toMatchObject({ limit: 10_000, used: 10_000, plan: 'basic' });
  });
});
