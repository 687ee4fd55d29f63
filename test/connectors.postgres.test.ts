import { env } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { runDueConnectors } from '../worker/connectors/runs';
import { customerSql, enableConnectors, runNow, transactionCount, waitForRun } from './connectors-fixtures';
import { api, apiJson, registerOrganization, type Session, withDatabase, withOwnerDatabase } from './helpers';

const TABLE = `erp_payments_${crypto.randomUUID().slice(0, 8)}`;
const OUTAGE = `${TABLE}_outage`;

/** `count` payments after id `from`, one a minute from 2026-03-01 (some with microseconds). */
async function addPayments(from: number, count: number): Promise<void> {
  await customerSql(`insert into ${TABLE} (id, paid_at, amount, currency, customer_account, payee)
    select i, timestamptz '2026-03-01 09:00:00.000001+00' + make_interval(mins => i), (i * 10.25)::numeric(14,2), 'EUR',
      'ACC-' || (i % 7), 'Payee ' || i
    from generate_series(${from + 1}, ${from + count}) as i`);
}

const mapping = {
  fields: { id: 'payment_no', occurred_at: 'paid_at', account: 'customer_account', counterparty: 'payee' },
};

function connectorBody(overrides: Record<string, unknown> = {}) {
  return {
    name: 'ERP payments',
    type: 'postgres',
    config: {
      url: inject('customerPgUrl'),
      query: `select 'PAY-' || id as payment_no, id, paid_at, amount, currency, customer_account, payee
        from ${TABLE} where id > coalesce(:cursor::bigint, 0) and ${OUTAGE}_check(coalesce(:cursor::bigint, 0)) order by id limit :limit`,
      cursor_column: 'id',
      page_size: 1000,
    },
    mapping,
    ...overrides,
  };
}

let org: Session;

beforeAll(async () => {
  await customerSql(`create table ${TABLE} (id bigint primary key, paid_at timestamptz not null,
    amount numeric(14,2) not null, currency text not null, customer_account text not null, payee text)`);
  // An outage of the customer's database from a given payment on: reading past it fails.
  await customerSql(`create table ${OUTAGE} (from_id bigint)`);
  await customerSql(`create function ${OUTAGE}_check(payment bigint) returns boolean language plpgsql stable as $$
    begin
      if exists (select 1 from ${OUTAGE} where payment >= from_id) then raise exception 'ERP database is unavailable'; end if;
      return true;
    end $$`);
  await addPayments(0, 2500);
  org = await registerOrganization('Connector Co');
  await enableConnectors(org.organization.id);
});

describe('happy', () => {
  it('pulls every row once, then only the new ones, over several runs', async () => {
    const token = org.access_token;
    const connector = await apiJson('POST', '/api/connectors', 201, { token, body: connectorBody() });
    expect(connector.config.url_display).toMatch(/^postgres:\/\/nitilens_reader@127\.0\.0\.1:5432\//);

    const first = await runNow(token, connector.id);
    expect(first).toMatchObject({
      status: 'succeeded',
      trigger: 'manual',
      read: 2500,
      accepted: 2500,
      duplicates: 0,
      rejected: 0,
      pages: 3,
      cursor_before: null,
      cursor_after: '2500',
      error: null,
    });
    expect(await transactionCount(org.organization.id)).toBe(2500);

    await addPayments(2500, 40);
    const second = await runNow(token, connector.id);
    expect(second).toMatchObject({
      status: 'succeeded',
      read: 40,
      accepted: 40,
      cursor_before: '2500',
      cursor_after: '2540',
    });
    const third = await runNow(token, connector.id);
    expect(third).toMatchObject({ status: 'succeeded', read: 0, accepted: 0, cursor_after: '2540' });
    expect(await transactionCount(org.organization.id)).toBe(2540);

    const stored = await apiJson('GET', '/api/transactions/PAY-2540', 200, { token });
    expect(stored).toMatchObject({
      id: 'PAY-2540',
      occurred_at: '2026-03-03T03:20:00.000001Z',
      amount: '26035',
      currency: 'EUR',
      account: 'ACC-6',
      counterparty: 'Payee 2540',
    });

    const runs = await apiJson('GET', `/api/connectors/${connector.id}/runs?limit=2`, 200, { token });
    expect(runs.items.map((run: { id: string }) => run.id)).toEqual([third.id, second.id]);
    expect(runs.next_cursor).not.toBeNull();
    const listed = await apiJson('GET', '/api/connectors', 200, { token });
    const mine = listed.items.find((item: { id: string }) => item.id === connector.id);
    expect(mine).toMatchObject({ cursor: '2540', last_run: { id: third.id, status: 'succeeded' } });
  });

  it('previews five rows as they would be stored, and stores nothing', async () => {
    const token = org.access_token;
    const connector = await apiJson('POST', '/api/connectors', 201, {
      token,
      body: connectorBody({ name: 'Preview' }),
    });
    const before = await transactionCount(org.organization.id);
    const preview = await apiJson('POST', `/api/connectors/${connector.id}/test`, 200, { token, body: {} });
    expect(preview.error).toBeNull();
    expect(preview.rows).toHaveLength(5);
    expect(preview.rows[0]).toMatchObject({
      row: 1,
      errors: [],
      transaction: { id: 'PAY-1', occurred_at: '2026-03-01T09:01:00.000001+00:00', amount: '10.25', account: 'ACC-1' },
    });
    const unmapped = await apiJson('POST', `/api/connectors/${connector.id}/test`, 200, {
      token,
      body: { mapping: {} },
    });
    expect(unmapped.rows[0]!.transaction).toBeNull();
    expect(unmapped.rows[0]!.errors.map((e: { path: string }) => e.path)).toContain('occurred_at');
    expect(await transactionCount(org.organization.id)).toBe(before);
  });

  it('runs on its schedule through the cron and the queue', async () => {
    const token = org.access_token;
    const connector = await apiJson('POST', '/api/connectors', 201, {
      token,
      body: connectorBody({ name: 'Scheduled', schedule: 'every 15m' }),
    });
    expect(connector.schedule).toBe('every 15m');
    const due = new Date(connector.next_run_at!);
    expect(due.getTime() - Date.now()).toBeGreaterThan(14 * 60_000);
    await withDatabase((db) => runDueConnectors(env, db, new Date()));
    expect((await apiJson('GET', `/api/connectors/${connector.id}/runs`, 200, { token })).items).toHaveLength(0);

    await withDatabase((db) => runDueConnectors(env, db, new Date(due.getTime() + 1000)));
    const [queued] = (await apiJson('GET', `/api/connectors/${connector.id}/runs`, 200, { token })).items;
    expect(queued!.trigger).toBe('schedule');
    const run = await waitForRun(token, connector.id, queued!.id);
    expect(run).toMatchObject({ status: 'succeeded', read: 2540, accepted: 0, duplicates: 2540 });
    const after = await apiJson('GET', `/api/connectors/${connector.id}`, 200, { token });
    expect(new Date(after.next_run_at!).getTime()).toBe(due.getTime() + 1000 + 15 * 60_000);
  });
});

describe('errors', () => {
  it('resumes after the customer database fails on a middle page, without duplicates', async () => {
    const other = await registerOrganization('Resume Co');
    await enableConnectors(other.organization.id);
    const token = other.access_token;
    const connector = await apiJson('POST', '/api/connectors', 201, { token, body: connectorBody() });
    await customerSql(`insert into ${OUTAGE} values (2000)`);
    const failed = await runNow(token, connector.id);
    expect(failed).toMatchObject({ status: 'failed', read: 2000, accepted: 2000, pages: 2, cursor_after: '2000' });
    expect(failed.error).toContain('ERP database is unavailable');
    expect(await transactionCount(other.organization.id)).toBe(2000);

    await customerSql(`delete from ${OUTAGE}`);
    const resumed = await runNow(token, connector.id);
    expect(resumed).toMatchObject({
      status: 'succeeded',
      cursor_before: '2000',
      read: 540,
      accepted: 540,
      duplicates: 0,
      cursor_after: '2540',
    });
    expect(await transactionCount(other.organization.id)).toBe(2540);
  });

  it('reports rows the mapping cannot read, and a query the database refuses', async () => {
    const token = org.access_token;
    const broken = await apiJson('POST', '/api/connectors', 201, {
      token,
      body: connectorBody({
        name: 'Broken',
        config: { ...connectorBody().config, query: 'select * from missing_table where :cursor is null limit :limit' },
      }),
    });
    const preview = await apiJson('POST', `/api/connectors/${broken.id}/test`, 200, { token, body: {} });
    expect(preview).toMatchObject({ rows: [] });
    expect(preview.error).toMatch(/^Postgres: relation "missing_table" does not exist/);
    const run = await runNow(token, broken.id);
    expect(run).toMatchObject({ status: 'failed', read: 0, cursor_after: null });

    const unmapped = await apiJson('POST', '/api/connectors', 201, {
      token,
      body: connectorBody({ name: 'Unmapped', mapping: {} }),
    });
    const rejected = await runNow(token, unmapped.id);
    expect(rejected).toMatchObject({ status: 'succeeded', read: 2540, accepted: 0, rejected: 2540 });
    expect(rejected.row_errors).toHaveLength(20);
  });

  it('refuses an invalid query and a schedule under five minutes', async () => {
    const token = org.access_token;
    const response = await api('POST', '/api/connectors', {
      token,
      body: {
        name: 'x',
        type: 'postgres',
        config: { url: 'postgres://a@h/db', query: 'select 1', cursor_column: 'id' },
      },
    });
    expect(response.status).toBe(400);
    const body = await response.json<{ errors: { path: string }[] }>();
    expect(body.errors.map((e) => e.path)).toContain('config.query');
    const schedule = await api('POST', '/api/connectors', { token, body: connectorBody({ schedule: 'every 1m' }) });
    expect(schedule.status).toBe(400);
  });
});

describe('security', () => {
  it('never answers with the password, in any response', async () => {
    const token = org.access_token;
    const password = new URL(inject('customerPgUrl')).password;
    const texts: string[] = [];
    const created = await api('POST', '/api/connectors', { token, body: connectorBody({ name: 'Secret' }) });
    texts.push(await created.text());
    const { id } = JSON.parse(texts[0]!) as { id: string };
    for (const [method, path, body] of [
      ['GET', `/api/connectors/${id}`],
      ['GET', '/api/connectors'],
      ['PATCH', `/api/connectors/${id}`, { config: connectorBody().config }],
      ['POST', `/api/connectors/${id}/test`, {}],
      ['GET', `/api/connectors/${id}/runs`],
    ] as const) {
      texts.push(await (await api(method, path, { token, ...(body ? { body } : {}) })).text());
    }
    for (const text of texts) expect(text).not.toContain(password);
    const [stored] = await withOwnerDatabase((db) =>
      db.execute<{ secret_ciphertext: string }>(sql`select secret_ciphertext from connectors where id = ${id}::uuid`),
    );
    expect(stored!.secret_ciphertext).toMatch(/^v2\.[0-9a-f]{8}\./);
    expect(stored!.secret_ciphertext).not.toContain(password);
  });

  it('refuses metadata and link-local hosts even for local use', async () => {
    const response = await api('POST', '/api/connectors', {
      token: org.access_token,
      body: connectorBody({ config: { ...connectorBody().config, url: 'postgres://u:p@169.254.169.254:5432/db' } }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('config.url');
  });

  it("hides another organization's connector and needs the plan feature", async () => {
    const stranger = await registerOrganization('Stranger Co');
    const mine = await apiJson('POST', '/api/connectors', 201, { token: org.access_token, body: connectorBody() });
    const basic = await api('GET', '/api/connectors', { token: stranger.access_token });
    expect(basic.status).toBe(402);
    await enableConnectors(stranger.organization.id);
    expect((await api('GET', `/api/connectors/${mine.id}`, { token: stranger.access_token })).status).toBe(404);
    expect((await api('POST', `/api/connectors/${mine.id}/run`, { token: stranger.access_token })).status).toBe(404);
  });
});
