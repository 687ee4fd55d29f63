import { beforeAll, describe, expect, inject, it } from 'vitest';
import { enableConnectors, runNow, transactionCount } from './connectors-fixtures';
import { ERP_API_KEY } from './erp-rest-stand-in';
import { api, apiJson, registerOrganization, type Session } from './helpers';

const DATASET = `payments-${crypto.randomUUID().slice(0, 8)}`;

function payments(from: number, count: number) {
  return Array.from({ length: count }, (_, index) => {
    const id = from + index + 1;
    return {
      id,
      ref: `INV-${id}`,
      booked: `2026-04-01T10:${String(id % 60).padStart(2, '0')}:00Z`,
      total: id === 1 ? 1234.5678 : id * 3,
      ccy: 'USD',
      acct: `A-${id % 3}`,
    };
  });
}

async function control(path: string, body: unknown): Promise<void> {
  const response = await fetch(`${inject('erpRestUrl')}/_stand-in/${DATASET}${path}`, {
    method: path === '/payments' ? 'POST' : 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
}

function restConnector(headers: Record<string, string> = { 'X-Api-Key': ERP_API_KEY }) {
  return {
    name: 'ERP REST',
    type: 'rest',
    config: {
      url: `${inject('erpRestUrl')}/erp/${DATASET}/payments`,
      headers,
      items_path: 'data',
      cursor_param: 'after',
      next_page_path: 'meta.next_cursor',
    },
    mapping: { fields: { id: 'ref', occurred_at: 'booked', amount: 'total', currency: 'ccy', account: 'acct' } },
  };
}

let org: Session;

beforeAll(async () => {
  await control('', { payments: payments(0, 250), page_size: 100 });
  org = await registerOrganization('REST Co');
  await enableConnectors(org.organization.id);
});

describe('happy', () => {
  it('follows the pages with the custom header, then reads only what is new', async () => {
    const token = org.access_token;
    const connector = await apiJson('POST', '/api/connectors', 201, { token, body: restConnector() });
    expect(connector.config).toMatchObject({ header_names: ['X-Api-Key'], items_path: 'data' });
    const first = await runNow(token, connector.id);
    expect(first).toMatchObject({ status: 'succeeded', read: 250, accepted: 250, pages: 3, cursor_after: '200' });
    const exact = await apiJson('GET', '/api/transactions/INV-1', 200, { token });
    expect(exact.amount).toBe('1234.5678');

    await control('/payments', { payments: payments(250, 30) });
    // The last page (after 200) is asked again: its 50 rows are duplicates, the 30 new ones arrive.
    const second = await runNow(token, connector.id);
    expect(second).toMatchObject({ status: 'succeeded', read: 80, accepted: 30, duplicates: 50, cursor_before: '200' });
    expect(await transactionCount(org.organization.id)).toBe(280);
  });

  it('previews five rows', async () => {
    const connector = await apiJson('POST', '/api/connectors', 201, { token: org.access_token, body: restConnector() });
    const preview = await apiJson('POST', `/api/connectors/${connector.id}/test`, 200, {
      token: org.access_token,
      body: {},
    });
    expect(preview.rows).toHaveLength(5);
    expect(preview.rows[1]!.transaction).toMatchObject({ id: 'INV-2', amount: '6', currency: 'USD', account: 'A-2' });
  });
});

describe('errors', () => {
  it('resumes after the API fails on a middle page', async () => {
    const other = await registerOrganization('REST Resume Co');
    await enableConnectors(other.organization.id);
    const token = other.access_token;
    const connector = await apiJson('POST', '/api/connectors', 201, { token, body: restConnector() });
    await control('/outage', { after: 200 });
    const failed = await runNow(token, connector.id);
    expect(failed).toMatchObject({ status: 'failed', read: 200, accepted: 200, cursor_after: '200' });
    expect(failed.error).toBe('REST: the endpoint answered 503.');
    await control('/outage', { after: null });
    const resumed = await runNow(token, connector.id);
    expect(resumed).toMatchObject({ status: 'succeeded', cursor_before: '200', accepted: 80, duplicates: 0 });
    expect(await transactionCount(other.organization.id)).toBe(280);
  });

  it('shows the API refusing a wrong key', async () => {
    const connector = await apiJson('POST', '/api/connectors', 201, {
      token: org.access_token,
      body: restConnector({ 'X-Api-Key': 'wrong' }),
    });
    const preview = await apiJson('POST', `/api/connectors/${connector.id}/test`, 200, {
      token: org.access_token,
      body: {},
    });
    expect(preview).toEqual({ rows: [], error: 'REST: the endpoint answered 401.' });
  });
});

describe('security', () => {
  it('never shows the header values', async () => {
    const created = await api('POST', '/api/connectors', { token: org.access_token, body: restConnector() });
    const text = await created.text();
    const { id } = JSON.parse(text) as { id: string };
    const shown = await (await api('GET', `/api/connectors/${id}`, { token: org.access_token })).text();
    const listed = await (await api('GET', '/api/connectors', { token: org.access_token })).text();
    for (const body of [text, shown, listed]) expect(body).not.toContain(ERP_API_KEY);
  });
});
