import { beforeAll, describe, expect, it } from 'vitest';
import { api, apiJson, expectProblem, registerOrganization, type Session } from './helpers';

type Report = {
  accepted: number;
  duplicates: number;
  rejected: number;
  errors: { row: number; line?: number; errors: { path: string; message: string }[] }[];
};

let org: Session;
beforeAll(async () => {
  org = await registerOrganization('Uploads');
});

const upload = (contentType: string, body: BodyInit, query = '') =>
  api('POST', `/api/transactions${query}`, {
    token: org.access_token,
    rawBody: body,
    headers: { 'content-type': contentType },
  });

async function uploadReport(contentType: string, body: BodyInit): Promise<Report> {
  const response = await upload(contentType, body);
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json<Report>();
}

const good = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  occurred_at: '2026-03-01T09:30:00+04:00',
  amount: '10.00',
  currency: 'EUR',
  account: 'ACC-9',
  ...extra,
});

const errorsOf = (report: Report, row: number) => report.errors.find((e) => e.row === row)?.errors;

describe('happy', () => {
  it('stores a JSON array and reports a re-sent file as duplicates', async () => {
    const rows = [
      good('J-1'),
      good('J-2', { amount: 99.5, country: 'DE', counterparty_country: 'AE', attributes: { dept: 'ops', n: 3 } }),
    ];
    expect(await uploadReport('application/json', JSON.stringify(rows))).toEqual({
      accepted: 2,
      duplicates: 0,
      rejected: 0,
      errors: [],
    });
    expect(await uploadReport('application/json', JSON.stringify(rows))).toEqual({
      accepted: 0,
      duplicates: 2,
      rejected: 0,
      errors: [],
    });
    const stored = await apiJson('GET', '/api/transactions/J-2', 200, { token: org.access_token });
    expect(stored).toMatchObject({
      id: 'J-2',
      occurred_at: '2026-03-01T05:30:00Z',
      amount: '99.5',
      country: 'DE',
      attributes: { dept: 'ops', n: 3 },
    });
  });

  it('reads amounts exactly, never through a float', async () => {
    const body =
      '[{"id":"EX-1","occurred_at":"2026-03-01T00:00:00Z","amount":1234567890123456.7891,"currency":"USD","account":"A"},' +
      '{"id":"EX-2","occurred_at":"2026-03-01T00:00:00Z","amount":0.10000000000000001,"currency":"USD","account":"A"},' +
      '{"id":"EX-3","occurred_at":"2026-03-01T00:00:00Z","amount":1.5e3,"currency":"USD","account":"A"}]';
    const report = await uploadReport('application/json', body);
    expect(report.accepted).toBe(2);
    expect(errorsOf(report, 2)).toEqual([{ path: 'amount', message: 'must have at most 4 decimal places' }]);
    expect((await apiJson('GET', '/api/transactions/EX-1', 200, { token: org.access_token })).amount).toBe(
      '1234567890123456.7891',
    );
    expect((await apiJson('GET', '/api/transactions/EX-3', 200, { token: org.access_token })).amount).toBe('1500');
  });

  it('streams NDJSON and reports each malformed line with its line number', async () => {
    const lines = [
      JSON.stringify(good('N-1')),
      '',
      '{"id": "N-2", oops}',
      JSON.stringify(good('N-3')),
      '[1,2]',
      JSON.stringify(good('N-1')),
    ];
    const report = await uploadReport('application/x-ndjson', `${lines.join('\r\n')}\n`);
    expect({ ...report, errors: undefined }).toEqual({ accepted: 2, duplicates: 1, rejected: 2, errors: undefined });
    expect(report.errors[0]).toMatchObject({
      row: 2,
      line: 3,
      errors: [{ path: '', message: expect.stringMatching(/^line 3 is not valid JSON/) }],
    });
    expect(report.errors[1]).toMatchObject({ row: 4, line: 5 });
  });

  it('reads CSV with quotes, escaped quotes, embedded newlines, CRLF and attributes.x columns', async () => {
    const csv =
      'id,occurred_at,amount,currency,account,counterparty,attributes.memo,attributes.cost_center\r\n' +
      'C-1,2026-03-01T09:30:00Z,"1,000.00",USD,A-1,,x,\r\n' +
      'C-2,2026-03-01T09:30:00Z,1000.00,USD,A-1,"Smith, ""Bob""","two\r\nlines",CC-1\r\n' +
      'C-3,2026-03-01T09:30:00Z,5,USD,A-1,bad"quote,,\r\n' +
      'C-4,2026-03-01T09:30:00Z,5,USD\r\n';
    const report = await uploadReport('text/csv; charset=utf-8', csv);
    expect([report.accepted, report.duplicates, report.rejected]).toEqual([1, 0, 3]);
    expect(errorsOf(report, 1)).toEqual([{ path: 'amount', message: 'must be a decimal number such as 12500.00' }]);
    expect(report.errors.find((e) => e.row === 3)).toMatchObject({
      line: 5,
      errors: [{ message: expect.stringContaining('quote inside an unquoted field') }],
    });
    expect(errorsOf(report, 4)![0]!.message).toContain('has 4 fields; the header has 8');
    const stored = await apiJson('GET', '/api/transactions/C-2', 200, { token: org.access_token });
    expect(stored).toMatchObject({
      counterparty: 'Smith, "Bob"',
      attributes: { memo: 'two\r\nlines', cost_center: 'CC-1' },
    });
  });

  it('browses with filters and cursor pagination, newest first', async () => {
    const browser = await registerOrganization('Browsing');
    const rows = Array.from({ length: 5 }, (_, i) =>
      good(`B-${i}`, {
        occurred_at: `2026-04-0${i + 1}T00:00:00Z`,
        amount: `${(i + 1) * 100}`,
        type: i % 2 ? 'card' : 'wire',
      }),
    );
    await apiJson('POST', '/api/transactions', 200, { token: browser.access_token, body: rows });
    const first = await apiJson('GET', '/api/transactions?limit=2', 200, { token: browser.access_token });
    expect(first.items.map((t) => t.id)).toEqual(['B-4', 'B-3']);
    const second = await apiJson('GET', `/api/transactions?limit=2&cursor=${first.next_cursor}`, 200, {
      token: browser.access_token,
    });
    expect(second.items.map((t) => t.id)).toEqual(['B-2', 'B-1']);
    const filtered = await apiJson(
      'GET',
      '/api/transactions?type=wire&min_amount=150&max_amount=500&from=2026-04-01T00:00:00Z&to=2026-04-05T00:00:00Z',
      200,
      { token: browser.access_token },
    );
    expect(filtered.items.map((t) => [t.id, t.amount])).toEqual([['B-2', '300']]);
  });

  it('finds a transaction by a URL-encoded id', async () => {
    await uploadReport('application/json', JSON.stringify([good('INV/2026 #7')]));
    const found = await apiJson('GET', `/api/transactions/${encodeURIComponent('INV/2026 #7')}`, 200, {
      token: org.access_token,
    });
    expect(found.id).toBe('INV/2026 #7');
  });
});

describe('errors', () => {
  it('takes a leap day only in a leap year of the Gregorian calendar', async () => {
    const days = ['2024-02-29', '2023-02-29', '2000-02-29', '1900-02-29', '2026-04-31', '0001-01-01'];
    const rows = days.map((day, i) => good(`LEAP-${i}`, { occurred_at: `${day}T12:00:00Z` }));
    const report = await uploadReport('application/json', JSON.stringify(rows));
    expect([report.accepted, report.rejected]).toEqual([3, 3]);
    expect(report.errors.map((e) => [e.row, e.errors[0]!.path])).toEqual([
      [2, 'occurred_at'],
      [4, 'occurred_at'],
      [5, 'occurred_at'],
    ]);
  });

  it('rejects hostile exponents per row instead of expanding them (a billion zeros would take the isolate down)', async () => {
    const body = ['1e999999999', '"1e999999999"', '1e-999999999', '0e999999999', '-1e99999999']
      .map(
        (amount, i) =>
          `{"id":"HX-${i}","occurred_at":"2026-03-01T00:00:00Z","amount":${amount},"currency":"USD","account":"A"}`,
      )
      .join('\n');
    const report = await uploadReport('application/x-ndjson', body);
    expect(report.accepted).toBe(1);
    expect(report.errors.map((e: { row: number; errors: unknown[] }) => [e.row, e.errors])).toEqual([
      [1, [{ path: 'amount', message: 'must have at most 16 digits before the decimal point' }]],
      [2, [{ path: 'amount', message: 'must have at most 16 digits before the decimal point' }]],
      [3, [{ path: 'amount', message: 'must have at most 4 decimal places' }]],
      [5, [{ path: 'amount', message: 'must not be negative' }]],
    ]);
    expect((await apiJson('GET', '/api/transactions/HX-3', 200, { token: org.access_token })).amount).toBe('0');
  });

  it('rejects every bad field per row, and accepted + duplicates + rejected equals the rows sent', async () => {
    const rows: unknown[] = [
      good('E-ok'),
      { ...good('E-1'), amount: '-5' },
      { ...good('E-2'), amount: '1.23456' },
      { ...good('E-3'), amount: true },
      { ...good('E-4'), currency: 'US' },
      { ...good('E-5'), country: 'XX' },
      { ...good('E-6'), occurred_at: '2026-03-01 09:30:00' },
      { ...good('E-7'), occurred_at: '2026-02-30T09:30:00Z' },
      { ...good('E-8'), attributes: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])) },
      { ...good('E-9'), account: 42 },
      { ...good(''), id: 'x'.repeat(129) },
      { ...good('E-10'), surprise: 1 },
      'not an object',
      good('E-ok'),
    ];
    const report = await uploadReport('application/json', JSON.stringify(rows));
    expect(report.accepted + report.duplicates + report.rejected).toBe(rows.length);
    expect([report.accepted, report.duplicates, report.rejected]).toEqual([1, 1, 12]);
    const paths = report.errors.map((e) => e.errors.map((x) => x.path).join());
    expect(paths).toEqual([
      'amount',
      'amount',
      'amount',
      'currency',
      'country',
      'occurred_at',
      'occurred_at',
      'attributes',
      'account',
      'id',
      '',
      '',
    ]);
    expect(errorsOf(report, 2)).toEqual([{ path: 'amount', message: 'must not be negative' }]);
    expect(errorsOf(report, 9)).toEqual([{ path: 'attributes', message: 'must have at most 64 keys' }]);
  });

  it('rejects per row an attribute text over 1,024 characters, at its path, and stores the rest', async () => {
    const rows = [
      { ...good('AT-ok'), attributes: { memo: 'm'.repeat(1024), nested: { ok: 'é'.repeat(1024) } } },
      { ...good('AT-long'), attributes: { memo: 'm'.repeat(1025) } },
      { ...good('AT-deep'), attributes: { a: { b: { note: 'x'.repeat(60_000) } } } },
    ];
    const report = await uploadReport('application/json', JSON.stringify(rows));
    expect([report.accepted, report.rejected]).toEqual([1, 2]);
    expect(report.errors).toEqual([
      { row: 2, errors: [{ path: 'attributes.memo', message: 'must be at most 1024 characters' }] },
      { row: 3, errors: [{ path: 'attributes.a.b.note', message: 'must be at most 1024 characters' }] },
    ]);
  });

  it('rejects per row a timestamp whose offset Postgres cannot store, and still stores the good rows', async () => {
    const rows = [
      good('TZ-ok'),
      { ...good('TZ-far'), occurred_at: '2026-03-01T09:30:00+20:00' },
      { ...good('TZ-edge'), occurred_at: '2026-03-01T09:30:00+14:00' },
    ];
    const report = await uploadReport('application/json', JSON.stringify(rows));
    expect([report.accepted, report.rejected]).toEqual([2, 1]);
    expect(report.errors.map((e) => [e.row, e.errors.map((x) => x.path)])).toEqual([[2, ['occurred_at']]]);
  });

  it('refuses an unsupported content type with 415 and a CSV with unknown columns with 400', async () => {
    expect((await upload('text/plain', 'hello')).status).toBe(415);
    expect((await upload('application/x-ndjson; charset=latin1', '{}')).status).toBe(415);
    const unknown = await upload('text/csv', 'id,occurred_at,amount,currency,account,colour\n');
    expect(unknown.status).toBe(400);
    expect((await unknown.json<{ errors: { path: string }[] }>()).errors).toEqual([
      { path: 'header.5', message: expect.stringContaining('colour') },
    ]);
  });

  it('refuses a file with no rows with 400, whatever its format', async () => {
    for (const [contentType, body] of [
      ['text/csv', 'id,occurred_at,amount,currency,account\n'],
      ['text/csv', ''],
      ['application/x-ndjson', '\n'],
      ['application/json', '[]'],
    ] as const) {
      const response = await upload(contentType, body);
      expect(response.status).toBe(400);
      expect((await response.json<{ detail: string }>()).detail).toBe('The file has no rows.');
    }
  });

  it('refuses a JSON array over 10,000 rows with 413', async () => {
    const body = `[${Array.from({ length: 10_001 }, () => '{}').join(',')}]`;
    expect((await upload('application/json', body)).status).toBe(413);
  });

  it('refuses a body over 100 MB with 413, declared or discovered while streaming', async () => {
    const declared = await api('POST', '/api/transactions', {
      token: org.access_token,
      rawBody: '[]',
      headers: { 'content-type': 'application/json', 'content-length': String(100 * 1024 * 1024 + 1) },
    });
    expect(declared.status).toBe(413);
    // Blank lines are no records, so this streams quickly; the same 1 MiB chunk is enqueued 101 times.
    const chunk = new TextEncoder().encode(`${' '.repeat(1023)}\n`.repeat(1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 101) controller.enqueue(chunk);
        else controller.close();
      },
    });
    await expectProblem(await upload('application/x-ndjson', stream), 413);
  });
});

describe('security', () => {
  it('another organization gets 404 for a transaction, and sees none in its listing', async () => {
    await uploadReport('application/json', JSON.stringify([good('PRIVATE-1')]));
    const other = await registerOrganization('Nosy');
    expect((await api('GET', '/api/transactions/PRIVATE-1', { token: other.access_token })).status).toBe(404);
    const listing = await apiJson('GET', '/api/transactions', 200, { token: other.access_token });
    expect(listing.items).toEqual([]);
  });

  it('requires a role that may ingest', async () => {
    const viewer = await apiJson('POST', '/api/users', 201, {
      token: org.access_token,
      body: {
        email: `viewer-${crypto.randomUUID()}@example.test`,
        full_name: 'Vi Ewer',
        role: 'viewer',
        password: 'correct horse battery staple',
      },
    });
    const login = await apiJson('POST', '/api/auth/login', 200, {
      body: { email: viewer.email, password: 'correct horse battery staple' },
    });
    const response = await api('POST', '/api/transactions', { token: login.access_token, body: [good('V-1')] });
    expect(response.status).toBe(403);
    expect((await api('GET', '/api/transactions', { token: login.access_token })).status).toBe(200);
  });
});
