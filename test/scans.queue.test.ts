import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { ruleVersions, scanChunks, scans } from '../db/schema';
import { withTenant } from '../db/tenant';
import type { ScanChunkMessage } from '../queues/messages';
import { processDeadLetter, processScanMessage } from '../queues/scans';
import worker from '../worker/index';
import { startScan } from '../worker/scans/service';
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
import { CONTRACT_STRUCTURING, countRows, insertTransactions, listAllViolations, waitForScan } from './rules-fixtures';

const largeAmount = { field: 'amount', op: 'gt', value: 10000 };

const origin = { ip: null, userAgent: 'test' };

let org: Session;
let structuringRule: { id: string };
let largeRule: { id: string };

beforeAll(async () => {
  org = await registerOrganization('Scan Queue Org');
  largeRule = await approvedRule(org.access_token, { name: 'Large amount', severity: 'high', condition: largeAmount });
  structuringRule = await approvedRule(org.access_token, {
    name: 'Structuring',
    severity: 'critical',
    condition: CONTRACT_STRUCTURING,
  });
  // Inserted in this order, so with two transactions per chunk S3's window reaches back into the previous chunk.
  await insertTransactions(org.organization.id, [
    { id: 'S1', occurred_at: '2026-03-01T10:00:00Z', amount: '9500.00', type: 'cash', account: 'ACC-2' },
    { id: 'S2', occurred_at: '2026-03-03T10:00:00+02:00', amount: '9800.00', type: 'cash', account: 'ACC-2' },
    { id: 'S3', occurred_at: '2026-03-05T10:00:00Z', amount: '9999.99', type: 'cash', account: 'ACC-2' },
    { id: 'T1', occurred_at: '2026-03-05T11:00:00Z', amount: '12500.00', type: 'wire', account: 'ACC-1' },
    // Exactly seven days after S3: S3 is outside its window, so only two band deposits count.
    { id: 'S4', occurred_at: '2026-03-12T10:00:00Z', amount: '9100.00', type: 'cash', account: 'ACC-2' },
    { id: 'S5', occurred_at: '2026-03-12T10:00:00Z', amount: '9100.00', type: 'cash', account: 'ACC-3' },
  ]);
});

describe('happy', () => {
  it('a scan through the queue completes with the right, explained violations', async () => {
    const queued = await apiJson('POST', '/api/scans', 202, { token: org.access_token, body: {} });
    expect(queued).toEqual({ id: expect.any(String), status: 'queued' });
    const scan = await waitForScan(org.access_token, queued.id);
    expect(scan).toMatchObject({
      id: queued.id,
      status: 'completed',
      total: 6,
      processed: 6,
      violations_found: 2,
      started_at: expect.any(String),
      finished_at: expect.any(String),
    });
    expect(scan.error).toBeUndefined();

    const found = await listAllViolations(org.access_token, `&scan_id=${queued.id}`);
    expect(found.map((v) => [v.transaction_id, v.rule_id]).sort()).toEqual([
      ['S3', structuringRule.id],
      ['T1', largeRule.id],
    ]);
    const large = found.find((v) => v.transaction_id === 'T1');
    expect(large).toMatchObject({
      rule_version: 1,
      severity: 'high',
      risk_score: 53,
      status: 'open',
      scan_id: queued.id,
    });
    expect(large!.explanation).toContain('amount 12,500.00 USD > 10,000');
    expect(large!.evidence).toMatchObject({ fields: { amount: '12500' } });
    const structured = found.find((v) => v.transaction_id === 'S3');
    expect(structured).toMatchObject({ severity: 'critical', risk_score: 70 });
    expect(structured!.evidence.aggregates).toEqual([
      expect.objectContaining({ fn: 'count', value: '3', transaction_ids: ['S3', 'S2', 'S1'] }),
    ]);
    expect(
      await countRows(org.organization.id, 'audit_log', sql`action = 'scan.started' and target_id = ${queued.id}`),
    ).toBe(1);
  });

  it('a window spanning two chunks sees the earlier chunk, and a rerun never duplicates a violation', async () => {
    const scan = await withDatabase((db) =>
      startScan(env, db, { orgId: org.organization.id, userId: org.user.id, origin }, { trigger: 'manual' }, 2),
    );
    expect(await countRows(org.organization.id, 'scan_chunks', sql`scan_id = ${scan.id}`)).toBe(3);
    const finished = await waitForScan(org.access_token, scan.id);
    expect(finished).toMatchObject({ status: 'completed', total: 6, processed: 6, violations_found: 0 });
    const all = await listAllViolations(org.access_token);
    expect(all.map((v) => v.transaction_id).sort()).toEqual(['S3', 'T1']);
  });

  it('only the listed rules and the given time range are scanned', async () => {
    const queued = await apiJson('POST', '/api/scans', 202, {
      token: org.access_token,
      body: { rule_ids: [largeRule.id], from: '2026-03-05T00:00:00Z', to: '2026-03-06T00:00:00Z' },
    });
    const scan = await waitForScan(org.access_token, queued.id);
    expect(scan).toMatchObject({
      status: 'completed',
      total: 2,
      processed: 2,
      from: '2026-03-05T00:00:00.000Z',
      to: '2026-03-06T00:00:00.000Z',
    });
    expect(scan.rule_version_ids).toHaveLength(1);
  });

  it('a redelivered chunk changes nothing', async () => {
    const queued = await apiJson('POST', '/api/scans', 202, { token: org.access_token, body: {} });
    const scan = await waitForScan(org.access_token, queued.id);
    const [chunk] = await withDatabase((db) =>
      withTenant(db, org.organization.id, (tx) => tx.select().from(scanChunks).where(eq(scanChunks.scanId, queued.id))),
    );
    const message: ScanChunkMessage = {
      kind: 'scan.chunk',
      orgId: org.organization.id,
      scanId: queued.id,
      chunk: 0,
      firstId: chunk!.firstId,
      lastId: chunk!.lastId,
    };
    await processScanMessage(env, message);
    expect(await apiJson('GET', `/api/scans/${queued.id}`, 200, { token: org.access_token })).toEqual(scan);
  });

  it('lists scans newest first with a cursor', async () => {
    const first = await apiJson('GET', '/api/scans?limit=2', 200, { token: org.access_token });
    expect(first.items).toHaveLength(2);
    const rest = await apiJson('GET', `/api/scans?limit=200&cursor=${first.next_cursor}`, 200, {
      token: org.access_token,
    });
    const ids = [...first.items, ...rest.items].map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(4);
    expect(rest.next_cursor).toBeNull();
  });

  it('with nothing to scan, the scan is completed at once', async () => {
    const queued = await apiJson('POST', '/api/scans', 202, {
      token: org.access_token,
      body: { from: '2030-01-01T00:00:00Z' },
    });
    expect(await apiJson('GET', `/api/scans/${queued.id}`, 200, { token: org.access_token })).toMatchObject({
      status: 'completed',
      total: 0,
      processed: 0,
    });
  });
});

describe('errors', () => {
  it('a chunk that keeps failing is retried, then dead-lettered, and the scan ends failed with the reason', async () => {
    const orgId = org.organization.id;
    const { scanId, message } = await withDatabase((db) =>
      withTenant(db, orgId, async (tx) => {
        // A version whose stored condition cannot compile: every attempt fails the same way.
        const [broken] = await tx
          .insert(ruleVersions)
          .values({
            orgId,
            ruleId: largeRule.id,
            version: 99,
            name: 'broken',
            severity: 'high',
            condition: { field: 'account', op: 'matches', value: '(a+)+$' },
            status: 'approved',
          })
          .returning();
        const [scan] = await tx
          .insert(scans)
          .values({ orgId, ruleVersionIds: [broken!.id], total: 6, chunksTotal: 1 })
          .returning();
        await tx
          .insert(scanChunks)
          .values({ orgId, scanId: scan!.id, chunk: 0, firstId: 0, lastId: Number.MAX_SAFE_INTEGER, size: 6 });
        const body: ScanChunkMessage = {
          kind: 'scan.chunk',
          orgId,
          scanId: scan!.id,
          chunk: 0,
          firstId: 0,
          lastId: Number.MAX_SAFE_INTEGER,
        };
        return { scanId: scan!.id, message: body };
      }),
    );

    const batch = createMessageBatch('nitilens-scans', [
      { id: 'm1', timestamp: new Date(), attempts: 1, body: message },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toEqual([expect.objectContaining({ msgId: 'm1' })]);
    expect(await apiJson('GET', `/api/scans/${scanId}`, 200, { token: org.access_token })).toMatchObject({
      status: 'running',
    });

    const dead = createMessageBatch('nitilens-scans-dlq', [
      { id: 'm1', timestamp: new Date(), attempts: 1, body: message },
    ]);
    const deadCtx = createExecutionContext();
    await worker.queue(dead, env, deadCtx);
    expect((await getQueueResult(dead, deadCtx)).explicitAcks).toEqual(['m1']);
    const failed = await apiJson('GET', `/api/scans/${scanId}`, 200, { token: org.access_token });
    expect(failed).toMatchObject({ status: 'failed', finished_at: expect.any(String) });
    expect(failed.error).toMatch(/^Chunk 1 failed after 1 attempts: /);
  });

  it('a chunk of a scan that no longer exists fails, and its dead letter changes nothing', async () => {
    const message: ScanChunkMessage = {
      kind: 'scan.chunk',
      orgId: org.organization.id,
      scanId: crypto.randomUUID(),
      chunk: 0,
      firstId: 1,
      lastId: 2,
    };
    await expect(processScanMessage(env, message)).rejects.toThrow(/has no chunk/);
    await processDeadLetter(env, message);
  });

  it('unknown or unapproved rules and a reversed range are 400s', async () => {
    const draft = await apiJson('POST', '/api/rules', 201, {
      token: org.access_token,
      body: { name: 'Draft', severity: 'low', condition: largeAmount },
    });
    const response = await api('POST', '/api/scans', {
      token: org.access_token,
      body: { rule_ids: [largeRule.id, draft.id, crypto.randomUUID()] },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Problem).errors!.map((e) => e.path)).toEqual(['rule_ids.1', 'rule_ids.2']);
    const reversed = await api('POST', '/api/scans', {
      token: org.access_token,
      body: { from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' },
    });
    expect(reversed.status).toBe(400);
  });

  it("a range bound is checked like a transaction's occurred_at: an offset Postgres cannot store is a 400", async () => {
    const response = await api('POST', '/api/scans', {
      token: org.access_token,
      body: { from: '2026-03-01T00:00:00+20:00' },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Problem).errors!.map((e) => e.path)).toEqual(['from']);
  });

  it('an organization without approved rules cannot start a scan', async () => {
    const empty = await registerOrganization('Scanless Org');
    const response = await api('POST', '/api/scans', { token: empty.access_token, body: {} });
    expect(response.status).toBe(400);
  });
});

describe('security', () => {
  it("another organization's scan is a 404 and its scans are not listed", async () => {
    const queued = await apiJson('POST', '/api/scans', 202, { token: org.access_token, body: {} });
    await waitForScan(org.access_token, queued.id);
    const other = await registerOrganization('Scan Intruder Org');
    expect((await api('GET', `/api/scans/${queued.id}`, { token: other.access_token })).status).toBe(404);
    expect((await apiJson('GET', '/api/scans', 200, { token: other.access_token })).items).toEqual([]);
    const rule = await api('POST', '/api/scans', { token: other.access_token, body: { rule_ids: [largeRule.id] } });
    expect(rule.status).toBe(400);
  });

  it('a viewer can follow scans but not start one', async () => {
    const viewer = await addMember(org, 'viewer');
    expect((await api('POST', '/api/scans', { token: viewer.token, body: {} })).status).toBe(403);
    expect((await api('GET', '/api/scans', { token: viewer.token })).status).toBe(200);
  });
});
