import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../db/tenant';
import ibmSample from '../examples/ibm-aml/ibm_aml_sample.csv?raw';
import ibmMapping from '../examples/ibm-aml/mapping.json?raw';
import { api, apiJson, createSource, registerOrganization, type Session, withDatabase } from './helpers';

/** The mapping documented in examples/ibm-aml/README.md: it takes the export as it is. */
const IBM_MAPPING = JSON.parse(ibmMapping) as unknown;

let org: Session;
beforeAll(async () => {
  org = await registerOrganization('Sources');
});

describe('happy', () => {
  it('creates a source whose secret is shown once, then lists, reads, updates and deletes it (audited)', async () => {
    const created = await apiJson('POST', '/api/sources', 201, {
      token: org.access_token,
      body: { name: 'NetSuite' },
    });
    expect(created.signing_secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    const one = await apiJson('GET', `/api/sources/${created.id}`, 200, { token: org.access_token });
    expect(one).toMatchObject({
      id: created.id,
      name: 'NetSuite',
      mapping: {},
      is_active: true,
      webhook_path: `/api/ingest/${created.id}`,
    });
    expect(JSON.stringify(one)).not.toContain(created.signing_secret);
    const listing = await apiJson('GET', '/api/sources', 200, { token: org.access_token });
    expect(listing.items.map((s) => s.id)).toContain(created.id);
    expect(JSON.stringify(listing)).not.toContain('whsec_');

    const updated = await apiJson('PATCH', `/api/sources/${created.id}`, 200, {
      token: org.access_token,
      body: { name: 'NetSuite EU', mapping: { constants: { channel: 'netsuite' } }, is_active: false },
    });
    expect(updated).toMatchObject({
      name: 'NetSuite EU',
      mapping: { constants: { channel: 'netsuite' } },
      is_active: false,
    });
    await apiJson('POST', `/api/sources/${created.id}/rotate-secret`, 200, { token: org.access_token });
    expect((await api('DELETE', `/api/sources/${created.id}`, { token: org.access_token })).status).toBe(204);
    expect((await api('GET', `/api/sources/${created.id}`, { token: org.access_token })).status).toBe(404);

    const actions = await withDatabase((db) =>
      withTenant(db, org.organization.id, (tx) =>
        tx.execute<{ action: string }>(sql`select action from audit_log where target_id = ${created.id} order by seq`),
      ),
    );
    expect(actions.map((row) => row.action)).toEqual([
      'source.created',
      'source.updated',
      'source.secret_rotated',
      'source.deleted',
    ]);
  });

  it('stores the signing secret encrypted, never in clear', async () => {
    const created = await apiJson('POST', '/api/sources', 201, {
      token: org.access_token,
      body: { name: 'Vault check' },
    });
    const [row] = await withDatabase((db) =>
      withTenant(db, org.organization.id, (tx) =>
        tx.execute<{ secret_ciphertext: string }>(
          sql`select secret_ciphertext from ingest_sources where id = ${created.id}`,
        ),
      ),
    );
    expect(row!.secret_ciphertext).toMatch(/^v2\.[0-9a-f]{8}\.[0-9a-f]{24}\.[0-9a-f]+$/);
    expect(row!.secret_ciphertext).not.toContain(created.signing_secret.slice(6));
  });

  it('uploads the IBM AML sample through its mapping, idempotently', async () => {
    const source = await createSource(org.access_token, { name: 'IBM AML export', mapping: IBM_MAPPING });
    const send = () =>
      apiJson('POST', `/api/transactions?source_id=${source.id}`, 200, {
        token: org.access_token,
        rawBody: ibmSample,
        headers: { 'content-type': 'text/csv' },
      });
    expect(await send()).toEqual({ accepted: 50, duplicates: 0, rejected: 0, errors: [] });
    expect(await send()).toEqual({ accepted: 0, duplicates: 50, rejected: 0, errors: [] });

    const page = await apiJson('GET', '/api/transactions?account=8000ECA98&limit=200', 200, {
      token: org.access_token,
    });
    expect(page.items.at(-1)).toMatchObject({
      occurred_at: '2023-01-02T00:43:00Z',
      amount: '527.76',
      currency: 'USD',
      account: '8000ECA98',
      counterparty: '0F2F8911F',
      type: 'Reinvestment',
      channel: 'ibm-aml',
      source_id: source.id,
      attributes: {
        from_bank: '2',
        to_bank: '11',
        amount_received: '527.76',
        receiving_currency: 'USD',
        is_laundering: '0',
      },
    });
    expect(page.items.at(-1)!.id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('previews a mapping on sample records without storing them', async () => {
    const source = await createSource(org.access_token, { name: 'Preview' });
    const storedCount = async () =>
      (await apiJson('GET', '/api/transactions?limit=200', 200, { token: org.access_token })).items.length;
    const before = await storedCount();
    const sample = ibmSample.split('\n').slice(0, 3).join('\n');
    const preview = await apiJson('POST', `/api/sources/${source.id}/preview`, 200, {
      token: org.access_token,
      body: { sample, mapping: IBM_MAPPING },
    });
    expect(preview.rows).toHaveLength(2);
    expect(preview.rows[0]).toMatchObject({
      row: 1,
      errors: [],
      transaction: { account: '8000ECA98', amount: '527.76', occurred_at: '2023-01-02T00:43:00+00:00' },
    });

    // The saved (empty) mapping cannot read the IBM layout: the preview says why, per row.
    const unmapped = await apiJson('POST', `/api/sources/${source.id}/preview`, 200, {
      token: org.access_token,
      body: { sample },
    });
    expect(unmapped.rows[0]!.errors.map((e) => e.path)).toEqual(
      expect.arrayContaining(['id', 'occurred_at', 'amount', 'currency', 'account']),
    );
    expect(await storedCount()).toBe(before);
  });
});

describe('errors', () => {
  it('rejects an invalid mapping with the path of each problem', async () => {
    const response = await api('POST', '/api/sources', {
      token: org.access_token,
      body: {
        name: 'Bad',
        mapping: {
          fields: { colour: 'x' },
          timestamp: { time_zone: 'Mars/Olympus' },
          derive_id: true,
          constants: { id: 'fixed' },
        },
      },
    });
    expect(response.status).toBe(400);
    const paths = (await response.json<{ errors: { path: string }[] }>()).errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['mapping.fields.colour', 'mapping.timestamp.time_zone']));
  });

  it("refuses a timestamp format that could read no date, such as another library's yyyy/MM/dd", async () => {
    const response = await api('POST', '/api/sources', {
      token: org.access_token,
      body: { name: 'Wrong tokens', mapping: { timestamp: { format: 'yyyy/MM/dd HH:mm', time_zone: 'UTC' } } },
    });
    expect(response.status).toBe(400);
    const { errors } = await response.json<{ errors: { path: string; message: string }[] }>();
    expect(errors).toEqual([
      { path: 'mapping.timestamp.format', message: expect.stringContaining('YYYY/MM/DD HH:mm') },
    ]);
    const source = await createSource(org.access_token, {
      name: 'Right tokens',
      mapping: { timestamp: { format: 'YYYY/MM/DD HH:mm', time_zone: 'UTC' } },
    });
    const preview = await apiJson('POST', `/api/sources/${source.id}/preview`, 200, {
      token: org.access_token,
      body: { sample: { id: 'T-1', occurred_at: '2026/11/30 16:20', amount: '1', currency: 'USD', account: 'A' } },
    });
    expect(preview.rows[0]!.transaction?.occurred_at).toBe('2026-11-30T16:20:00+00:00');
  });

  it('reads naive timestamps only when the mapping gives a time zone', async () => {
    const source = await createSource(org.access_token, {
      name: 'No zone',
      mapping: { timestamp: { format: 'YYYY-MM-DD HH:mm:ss' } },
    });
    const preview = await apiJson('POST', `/api/sources/${source.id}/preview`, 200, {
      token: org.access_token,
      body: { sample: { id: 'T-1', occurred_at: '2023-01-02 00:43:00', amount: '1', currency: 'USD', account: 'A' } },
    });
    expect(preview.rows[0]!.errors).toEqual([
      { path: 'occurred_at', message: expect.stringContaining('no time_zone') },
    ]);
  });
});

describe('security', () => {
  it("another organization's source is a 404 everywhere", async () => {
    const source = await createSource(org.access_token, { name: 'Mine' });
    const other = await registerOrganization('Other Sources');
    for (const [method, path, body] of [
      ['GET', `/api/sources/${source.id}`],
      ['PATCH', `/api/sources/${source.id}`, { name: 'x' }],
      ['DELETE', `/api/sources/${source.id}`],
      ['POST', `/api/sources/${source.id}/rotate-secret`],
      ['POST', `/api/sources/${source.id}/preview`, { sample: {} }],
    ] as const) {
      expect(
        (await api(method, path, { token: other.access_token, ...(body ? { body } : {}) })).status,
        `${method} ${path}`,
      ).toBe(404);
    }
    const upload = await api('POST', `/api/transactions?source_id=${source.id}`, {
      token: other.access_token,
      body: [],
    });
    expect(upload.status).toBe(404);
  });

  it('only admins manage sources', async () => {
    const email = `analyst-${crypto.randomUUID()}@example.test`;
    await apiJson('POST', '/api/users', 201, {
      token: org.access_token,
      body: { email, full_name: 'An Alyst', role: 'compliance_analyst', password: 'correct horse battery staple' },
    });
    const analyst = await apiJson('POST', '/api/auth/login', 200, {
      body: { email, password: 'correct horse battery staple' },
    });
    expect((await api('POST', '/api/sources', { token: analyst.access_token, body: { name: 'x' } })).status).toBe(403);
    expect((await api('GET', '/api/sources', { token: analyst.access_token })).status).toBe(403);
  });
});
