import { beforeAll, describe, expect, inject, it } from 'vitest';
import { customerMysql, enableConnectors, runNow, transactionCount } from './connectors-fixtures';
import { apiJson, registerOrganization, type Session } from './helpers';

const TABLE = `erp_payments_${crypto.randomUUID().slice(0, 8)}`;
const OUTAGE = `${TABLE}_outage`;

/** `count` payments after id `from`, one a minute from 2026-03-01 09:00 (naive times, in UTC). */
function addPayments(from: number, count: number): string {
  return `insert into ${TABLE} (id, paid_at, amount, currency, customer_account)
    with recursive n(i) as (select ${from + 1} union all select i + 1 from n where i < ${from + count})
    select i, timestamp '2026-03-01 09:00:00.000001' + interval i minute, i * 10.25, 'EUR', concat('ACC-', i % 7) from n`;
}

function connectorBody() {
  return {
    name: 'ERP on MariaDB',
    type: 'mysql',
    config: {
      url: inject('customerMysqlUrl'),
      query: `select concat('MY-', id) as payment_no, id, paid_at, amount, currency, customer_account
        from ${TABLE} where id > coalesce(:cursor, 0) and ${OUTAGE}_check(coalesce(:cursor, 0)) order by id limit :limit`,
      cursor_column: 'id',
      page_size: 1000,
    },
    mapping: {
      fields: { id: 'payment_no', occurred_at: 'paid_at', account: 'customer_account' },
      timestamp: { time_zone: 'UTC' },
    },
  };
}

let org: Session;

beforeAll(async () => {
  const reader = new URL(inject('customerMysqlUrl'));
  await customerMysql([
    `create table ${TABLE} (id bigint primary key, paid_at datetime(6) not null, amount decimal(14,2) not null,
      currency char(3) not null, customer_account varchar(32) not null)`,
    `create table ${OUTAGE} (from_id bigint)`,
    // An outage of the customer's database from a given cursor on: reading a page past it fails.
    `create function ${OUTAGE}_check(after_id bigint) returns int reads sql data
      begin
        if exists (select 1 from ${OUTAGE} where after_id >= from_id) then
          signal sqlstate '45000' set message_text = 'ERP database is unavailable';
        end if;
        return 1;
      end`,
    `grant execute on function ${reader.pathname.slice(1)}.${OUTAGE}_check to 'nitilens_reader'@'%'`,
    'set session max_recursive_iterations = 100000',
    addPayments(0, 2500),
  ]);
  org = await registerOrganization('MariaDB Co');
  await enableConnectors(org.organization.id);
});

describe('happy', () => {
  it('pulls every row once, then only the new ones', async () => {
    const token = org.access_token;
    const connector = await apiJson('POST', '/api/connectors', 201, { token, body: connectorBody() });
    expect(connector.config.url_display).toMatch(/^mysql:\/\/nitilens_reader@127\.0\.0\.1:3306\//);
    const first = await runNow(token, connector.id);
    expect(first).toMatchObject({ status: 'succeeded', read: 2500, accepted: 2500, pages: 3, cursor_after: '2500' });
    await customerMysql([addPayments(2500, 40)]);
    const second = await runNow(token, connector.id);
    expect(second).toMatchObject({
      status: 'succeeded',
      read: 40,
      accepted: 40,
      cursor_before: '2500',
      cursor_after: '2540',
    });
    expect(await transactionCount(org.organization.id)).toBe(2540);
    const stored = await apiJson('GET', '/api/transactions/MY-2540', 200, { token });
    expect(stored).toMatchObject({ occurred_at: '2026-03-03T03:20:00.000001Z', amount: '26035', account: 'ACC-6' });
  });
});

describe('errors', () => {
  it('resumes after the database fails on a middle page, without duplicates', async () => {
    const other = await registerOrganization('MariaDB Resume Co');
    await enableConnectors(other.organization.id);
    const token = other.access_token;
    const connector = await apiJson('POST', '/api/connectors', 201, { token, body: connectorBody() });
    await customerMysql([`insert into ${OUTAGE} values (2000)`]);
    const failed = await runNow(token, connector.id);
    expect(failed).toMatchObject({ status: 'failed', read: 2000, accepted: 2000, cursor_after: '2000' });
    expect(failed.error).toContain('ERP database is unavailable');
    await customerMysql([`delete from ${OUTAGE}`]);
    const resumed = await runNow(token, connector.id);
    expect(resumed).toMatchObject({ status: 'succeeded', cursor_before: '2000', accepted: 540, duplicates: 0 });
    expect(await transactionCount(other.organization.id)).toBe(2540);
  });
});
