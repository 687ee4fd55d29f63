import { env } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { scanChunks, scans } from '../db/schema';
import { withTenant } from '../db/tenant';
import type { ScanChunkMessage } from '../queues/messages';
import { processDeadLetter, processScanMessage } from '../queues/scans';
import { detectViolations } from '../worker/rules/engine';
import { loadRuleVersions } from '../worker/rules/versions';
import { apiJson, approvedRule, registerOrganization, type Session, setPlan, withDatabase } from './helpers';
import { CONTRACT_STRUCTURING, countRows, insertTransactions } from './rules-fixtures';

let org: Session;
let versionIds: string[];

beforeAll(async () => {
  org = await registerOrganization('Scan Cases Org');
  await setPlan(org.organization.id, 'enterprise');
  const large = await approvedRule(org.access_token, {
    name: 'Large amount',
    severity: 'high',
    condition: { field: 'amount', op: 'gt', value: 10000 },
  });
  const structured = await approvedRule(org.access_token, {
    name: 'Structuring',
    severity: 'critical',
    condition: CONTRACT_STRUCTURING,
  });
  versionIds = await withDatabase((db) =>
    withTenant(db, org.organization.id, async (tx) => {
      const rows = await tx.execute<{ id: string }>(
        sql`select id from rule_versions where rule_id in (${large.id}, ${structured.id}) order by created_at`,
      );
      return rows.map((row) => row.id);
    }),
  );
  await insertTransactions(org.organization.id, [
    { id: 'C1', occurred_at: '2026-03-01T10:00:00Z', amount: '9500.00', type: 'cash', account: 'ACC-2' },
    { id: 'C2', occurred_at: '2026-03-02T10:00:00Z', amount: '9800.00', type: 'cash', account: 'ACC-2' },
    { id: 'C3', occurred_at: '2026-03-03T10:00:00Z', amount: '9999.99', type: 'cash', account: 'ACC-2' },
    { id: 'W1', occurred_at: '2026-03-03T11:00:00Z', amount: '12500.00', type: 'wire', account: 'ACC-1' },
    { id: 'W2', occurred_at: '2026-03-03T12:00:00Z', amount: '15000.00', type: 'wire', account: 'ACC-2' },
  ]);
});

/** A scan of every transaction in one chunk, stored without a queue message, and that chunk's message. */
async function plannedScan(): Promise<ScanChunkMessage> {
  const orgId = org.organization.id;
  return withDatabase((db) =>
    withTenant(db, orgId, async (tx) => {
      const [scan] = await tx
        .insert(scans)
        .values({ orgId, ruleVersionIds: versionIds, total: 5, chunksTotal: 1 })
        .returning();
      const lastId = Number.MAX_SAFE_INTEGER;
      await tx.insert(scanChunks).values({ orgId, scanId: scan!.id, chunk: 0, firstId: 0, lastId, size: 5 });
      return { kind: 'scan.chunk', orgId, scanId: scan!.id, chunk: 0, firstId: 0, lastId };
    }),
  );
}

/** What a delivery's unit of the rule without aggregates stores for the scan, as processScanChunk's units do. */
async function storeLargeAmountUnit(message: ScanChunkMessage): Promise<void> {
  await withDatabase((db) =>
    withTenant(db, message.orgId, async (tx) => {
      const [large] = await loadRuleVersions(tx, [versionIds[0]!]);
      const scope = { kind: 'range' as const, firstId: message.firstId, lastId: message.lastId };
      await detectViolations(tx, message.orgId, scope, {
        ruleVersions: [large!],
        scanId: message.scanId,
        persist: true,
      });
    }),
  );
}

const get = <P extends string>(path: P) => apiJson('GET', path, 200, { token: org.access_token });

describe('happy', () => {
  it("a scan opens its violations' cases once, whichever delivery stored them, its rule units in turn", async () => {
    const message = await plannedScan();
    // An earlier delivery stored the rule without aggregates' violations, then failed before the chunk was done.
    await storeLargeAmountUnit(message);
    expect((await get('/api/cases?limit=200')).items).toEqual([]);

    await processScanMessage(env, message);
    expect(await get(`/api/scans/${message.scanId}`)).toMatchObject({ status: 'completed', violations_found: 3 });
    const cases = (await get('/api/cases?limit=200')).items.sort((a, b) => a.number - b.number);
    // The plain unit first (by transaction: W1, then W2), then the structuring unit's C3 joins ACC-2's case.
    expect(cases.map((c) => [c.account, c.title, c.priority, c.violation_count])).toEqual([
      ['ACC-1', 'Large amount on ACC-1', 'high', 1],
      ['ACC-2', 'Large amount on ACC-2', 'critical', 2],
    ]);
    expect(cases[1]!.number).toBe(cases[0]!.number + 1);
    const events = await get(`/api/cases/${cases[1]!.id}/events`);
    expect(events.map((e) => e.type)).toEqual(['created', 'violation_added']);
    const linked = (await get(`/api/cases/${cases[1]!.id}`)).violations!.map((v) => v.transaction_id).sort();
    expect(linked).toEqual(['C3', 'W2']);
    const audited = sql`action = 'case.created' and details->'numbers' = ${JSON.stringify([cases[0]!.number, cases[1]!.number])}::jsonb`;
    expect(await countRows(message.orgId, 'audit_log', audited)).toBe(1);

    await processScanMessage(env, message);
    expect((await get('/api/cases?limit=200')).items).toHaveLength(2);
    expect(await get(`/api/cases/${cases[1]!.id}/events`)).toHaveLength(2);
    expect(await get(`/api/scans/${message.scanId}`)).toMatchObject({ processed: 5, violations_found: 3 });
  });
});

describe('errors', () => {
  it('a chunk dead-lettered after a unit stored violations still opens their cases, once, and fails the scan', async () => {
    await insertTransactions(org.organization.id, [
      { id: 'W3', occurred_at: '2026-03-04T09:00:00Z', amount: '20000.00', type: 'wire', account: 'ACC-3' },
    ]);
    const message = await plannedScan();
    // The plain unit stored W3's violation; the other unit failed on every delivery.
    await storeLargeAmountUnit(message);

    await processDeadLetter(env, message);
    const scan = await get(`/api/scans/${message.scanId}`);
    expect(scan).toMatchObject({ status: 'failed' });
    expect(scan.error).toMatch(/^Chunk 1 failed/);
    const opened = (await get('/api/cases?account=ACC-3&limit=200')).items;
    expect(opened.map((c) => [c.title, c.priority, c.violation_count])).toEqual([['Large amount on ACC-3', 'high', 1]]);

    // A second dead letter of the same chunk takes nothing again.
    await processDeadLetter(env, message);
    expect((await get('/api/cases?account=ACC-3&limit=200')).items).toHaveLength(1);
    expect(await get(`/api/cases/${opened[0]!.id}/events`)).toHaveLength(1);
  });
});
