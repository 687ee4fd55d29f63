import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { withTenant } from '../db/tenant';
import {
  api,
  apiJson,
  approvedRule,
  createSource,
  expectProblem,
  pushSigned,
  registerOrganization,
  webhookSignature,
  withDatabase,
} from './helpers';

function tx(id: string, extra: Record<string, unknown> = {}) {
  return { id, occurred_at: '2026-03-01T09:30:00Z', amount: '125.50', currency: 'USD', account: 'ACC-1', ...extra };
}

describe('happy', () => {
  it('accepts a signed push, then reports the replay as a duplicate that changes nothing', async () => {
    const org = await registerOrganization('Webhook Happy');
    const source = await createSource(org.access_token);
    const first = await pushSigned(source.id, source.signing_secret, tx('W-1', { attributes: { po: 'PO-9' } }));
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ results: [{ id: 'W-1', status: 'accepted', violations: [] }] });

    const replay = await pushSigned(source.id, source.signing_secret, tx('W-1', { amount: '999' }));
    expect(await replay.json()).toEqual({ results: [{ id: 'W-1', status: 'duplicate', violations: [] }] });
    const stored = await apiJson('GET', '/api/transactions/W-1', 200, { token: org.access_token });
    expect(stored).toMatchObject({
      id: 'W-1',
      amount: '125.5',
      source_id: source.id,
      attributes: { po: 'PO-9' },
      violations: [],
    });
  });

  it('answers per transaction for an array: accepted, rejected with errors, duplicate within the push', async () => {
    const org = await registerOrganization('Webhook Array');
    const source = await createSource(org.access_token);
    const response = await pushSigned(source.id, source.signing_secret, [
      tx('A-1'),
      tx('A-2', { currency: 'usd' }),
      tx('A-1'),
    ]);
    const { results } = await response.json<{ results: unknown[] }>();
    expect(results).toEqual([
      { id: 'A-1', status: 'accepted', violations: [] },
      {
        id: 'A-2',
        status: 'rejected',
        errors: [{ path: 'currency', message: expect.stringContaining('3 upper-case letters') }],
        violations: [],
      },
      { id: 'A-1', status: 'duplicate', violations: [] },
    ]);
  });

  it('evaluates each accepted transaction at once: its violations come back and are stored', async () => {
    const org = await registerOrganization('Webhook Realtime');
    const rule = await approvedRule(org.access_token, {
      name: 'Large wire',
      severity: 'high',
      condition: {
        all: [
          { field: 'type', op: 'eq', value: 'wire' },
          { field: 'amount', op: 'gt', value: 10000 },
        ],
      },
    });
    const source = await createSource(org.access_token);

    const response = await pushSigned(source.id, source.signing_secret, [
      tx('RT-1', { type: 'wire', amount: 12500.1 }),
      tx('RT-2', { type: 'wire' }),
    ]);
    const { results } = await response.json<{ results: { id: string; violations: unknown[] }[] }>();
    expect(results[0]!.violations).toEqual([
      {
        rule_id: rule.id,
        rule_name: 'Large wire',
        rule_version: 1,
        severity: 'high',
        explanation: expect.any(String),
      },
    ]);
    expect(results[1]!.violations).toEqual([]);
    const stored = await apiJson('GET', '/api/transactions/RT-1', 200, { token: org.access_token });
    expect(stored.amount).toBe('12500.1');
    expect(stored.violations.map((v) => v.rule_id)).toEqual([rule.id]);
  });

  it('stores the violations of several rules over several transactions of one push, each with its own rule and severity', async () => {
    const org = await registerOrganization('Webhook Several Rules');
    const rules: Record<string, { id: string }> = {};
    for (const [name, severity, condition] of [
      ['Large amount', 'high', { field: 'amount', op: 'gt', value: 10000 }],
      ['Sanctioned country', 'critical', { field: 'counterparty_country', op: 'in', value: ['IR', 'KP'] }],
      ['Busy account', 'low', { aggregate: { fn: 'count', group_by: ['account'], window: '1d' }, op: 'gte', value: 2 }],
    ] as const) {
      rules[name] = await approvedRule(org.access_token, { name, severity, condition });
    }
    const source = await createSource(org.access_token);

    const response = await pushSigned(source.id, source.signing_secret, [
      tx('SR-1', { amount: '15000', counterparty_country: 'IR' }),
      tx('SR-2', { account: 'ACC-2' }),
      tx('SR-3', { counterparty_country: 'KP' }),
    ]);
    const { results } = await response.json<{
      results: { id: string; violations: { rule_id: string; severity: string }[] }[];
    }>();
    const ruleOf = (id: string) => Object.keys(rules).find((name) => rules[name]!.id === id);
    const decided = Object.fromEntries(
      results.map((r) => [r.id, r.violations.map((v) => `${ruleOf(v.rule_id)}/${v.severity}`).sort()]),
    );
    // SR-1 and SR-3 share ACC-1 on the same day: both are in each other's one-day window.
    expect(decided).toEqual({
      'SR-1': ['Busy account/low', 'Large amount/high', 'Sanctioned country/critical'],
      'SR-2': [],
      'SR-3': ['Busy account/low', 'Sanctioned country/critical'],
    });
    const stored = await apiJson('GET', '/api/transactions/SR-1', 200, { token: org.access_token });
    expect(stored.violations.map((v) => `${ruleOf(v.rule_id)}/${v.severity}/${v.status}`).sort()).toEqual([
      'Busy account/low/open',
      'Large amount/high/open',
      'Sanctioned country/critical/open',
    ]);
  });

  it('maps nested ERP payloads: dot paths, value maps, constants, time zones, unmapped keys to attributes', async () => {
    const org = await registerOrganization('Webhook Mapping');
    const source = await createSource(org.access_token, {
      name: 'SAP',
      mapping: {
        fields: {
          id: 'doc.number',
          occurred_at: 'doc.posted',
          amount: 'doc.total',
          currency: 'doc.curr',
          account: 'vendor.account',
        },
        values: { currency: { 'US Dollar': 'USD' } },
        constants: { channel: 'sap' },
        timestamp: { format: 'DD/MM/YYYY HH:mm', time_zone: 'America/New_York' },
      },
    });
    const payload =
      '{"doc": {"number": "SAP-1", "posted": "15/07/2026 09:30", "total": 12345678901234.5678, "curr": "US Dollar"}, "vendor": {"account": "V-1"}, "plant": "P100"}';
    const response = await pushSigned(source.id, source.signing_secret, payload);
    expect((await response.json<{ results: { status: string }[] }>()).results[0]!.status).toBe('accepted');
    const stored = await apiJson('GET', '/api/transactions/SAP-1', 200, { token: org.access_token });
    expect(stored).toMatchObject({
      id: 'SAP-1',
      occurred_at: '2026-07-15T13:30:00Z',
      amount: '12345678901234.5678',
      currency: 'USD',
      account: 'V-1',
      channel: 'sap',
      attributes: { plant: 'P100' },
    });
  });
});

describe('security', () => {
  it('refuses a wrong, stale, future or missing signature with 401', async () => {
    const org = await registerOrganization('Webhook Signatures');
    const source = await createSource(org.access_token);
    const now = Math.floor(Date.now() / 1000);
    const cases = [
      await pushSigned(source.id, 'whsec_not-the-secret', tx('S-1')),
      await pushSigned(source.id, source.signing_secret, tx('S-1'), now - 301),
      // Read the clock again: on a loaded machine seconds pass between these requests.
      await pushSigned(source.id, source.signing_secret, tx('S-1'), Math.floor(Date.now() / 1000) + 305),
      await api('POST', `/api/ingest/${source.id}`, { body: tx('S-1') }),
    ];
    for (const response of cases) await expectProblem(response, 401);
    // A body changed after signing no longer matches.
    const signature = await webhookSignature(source.signing_secret, JSON.stringify(tx('S-1')));
    const tampered = await api('POST', `/api/ingest/${source.id}`, {
      rawBody: JSON.stringify(tx('S-1', { amount: '1' })),
      headers: { 'x-nitilens-signature': signature },
    });
    expect(tampered.status).toBe(401);
    expect((await pushSigned(source.id, source.signing_secret, tx('S-1'), now - 290)).status).toBe(200);
  });

  it('answers an unknown or inactive source exactly like a bad signature', async () => {
    const org = await registerOrganization('Webhook Unknown');
    const source = await createSource(org.access_token);
    const unknown = await pushSigned(crypto.randomUUID(), source.signing_secret, tx('U-1'));
    await apiJson('PATCH', `/api/sources/${source.id}`, 200, { token: org.access_token, body: { is_active: false } });
    const inactive = await pushSigned(source.id, source.signing_secret, tx('U-1'));
    expect(unknown.status).toBe(401);
    expect(inactive.status).toBe(401);
    const [a, b] = [await unknown.json<{ detail: string }>(), await inactive.json<{ detail: string }>()];
    expect(a.detail).toBe(b.detail);
  });

  it('keeps the previous secret valid for 24 hours after a rotation, and not after', async () => {
    const org = await registerOrganization('Webhook Rotation');
    const source = await createSource(org.access_token);
    const rotated = await apiJson('POST', `/api/sources/${source.id}/rotate-secret`, 200, {
      token: org.access_token,
    });
    expect(rotated.signing_secret).not.toBe(source.signing_secret);
    expect((await pushSigned(source.id, rotated.signing_secret, tx('R-1'))).status).toBe(200);
    expect((await pushSigned(source.id, source.signing_secret, tx('R-2'))).status).toBe(200);

    await withDatabase((db) =>
      withTenant(db, org.organization.id, (t) =>
        t.execute(
          sql`update ingest_sources set previous_secret_expires_at = now() - interval '1 second' where id = ${source.id}`,
        ),
      ),
    );
    expect((await pushSigned(source.id, source.signing_secret, tx('R-3'))).status).toBe(401);
    expect((await pushSigned(source.id, rotated.signing_secret, tx('R-3'))).status).toBe(200);
  });
});

describe('errors', () => {
  it('refuses malformed JSON (400) and more than 1,000 transactions (413)', async () => {
    const org = await registerOrganization('Webhook Errors');
    const source = await createSource(org.access_token);
    const body = '{"id": "X"';
    const malformed = await api('POST', `/api/ingest/${source.id}`, {
      rawBody: body,
      headers: { 'x-nitilens-signature': await webhookSignature(source.signing_secret, body) },
    });
    expect(malformed.status).toBe(400);
    const many = Array.from({ length: 1001 }, (_, i) => tx(`M-${i}`));
    expect((await pushSigned(source.id, source.signing_secret, many)).status).toBe(413);
  });
});
