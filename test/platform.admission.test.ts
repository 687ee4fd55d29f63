import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONNECTION_SLOTS } from '../db/cloudflare-socket';
import { withTenant } from '../db/tenant';
import { PUSH_LANE, pushGate, UPLOAD_LANE, uploadGate } from '../worker/platform/admission';
import { databaseUnavailable } from '../worker/platform/database-errors';
import { api, approvedRule, pushSigned, registerOrganization, type Session, withDatabase } from './helpers';

const METRICS_TOKEN = 'test-metrics-token-0123456789';

let org: Session;
let source: { id: string; signing_secret: string };

beforeAll(async () => {
  org = await registerOrganization('Admission');
  // Every stored transaction raises one violation: a push stored without its decision would show.
  await approvedRule(org.access_token, { name: 'Any amount', condition: { field: 'amount', op: 'gt', value: 0 } });
  const created = await api('POST', '/api/sources', { token: org.access_token, body: { name: 'Load ERP' } });
  source = await created.json<{ id: string; signing_secret: string }>();
});

function transaction(id: string) {
  return { id, occurred_at: '2026-03-01T09:30:00Z', amount: '125.50', currency: 'USD', account: 'ACC-1' };
}

type Problem = { status: number; type: string; detail: string; retry_after?: number };
type Answer = {
  id: string;
  status: number;
  ms: number;
  at: number;
  retryAfter: number | null;
  body: Problem & { results?: unknown[] };
};

/** A signed push of one transaction, timed from when it is sent. */
async function timedPush(id: string): Promise<Answer> {
  const started = Date.now();
  const response = await pushSigned(source.id, source.signing_secret, transaction(id));
  const at = Date.now();
  const text = await response.text();
  const retryAfter = response.headers.get('retry-after');
  if (response.status !== 200) expect(response.headers.get('content-type')).toBe('application/problem+json');
  return {
    id,
    status: response.status,
    ms: at - started,
    at,
    retryAfter: retryAfter === null ? null : Number(retryAfter),
    body: JSON.parse(text) as Answer['body'],
  };
}

/** How often each external id is stored, and how many violations its rows have, in the organization. */
async function storedOf(prefix: string): Promise<{ rows: Map<string, number>; violations: Map<string, number> }> {
  const found = await withDatabase((db) =>
    withTenant(db, org.organization.id, (tx) =>
      tx.execute<{ external_id: string; rows: number; violations: number }>(sql`
        select t.external_id, count(distinct t.id)::int as rows, count(v.id)::int as violations
        from transactions t left join violations v on v.transaction_id = t.id
        where t.external_id like ${`${prefix}%`}
        group by t.external_id`),
    ),
  );
  return {
    rows: new Map(found.map((r) => [r.external_id, r.rows])),
    violations: new Map(found.map((r) => [r.external_id, r.violations])),
  };
}

async function scrapeSeries(series: string): Promise<number> {
  const response = await api('GET', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const line = (await response.text()).split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** Every refusal the way a client sees it: 503 problem+json saying so, with Retry-After in the lane's range. */
function expectRefusal(answer: Answer, lane: typeof PUSH_LANE): void {
  expect(answer.status).toBe(503);
  expect(answer.body).toMatchObject({ status: 503, type: 'https://nitilens.dev/problems/service-unavailable' });
  expect(answer.retryAfter).toBeGreaterThanOrEqual(lane.retryAfter[0]);
  expect(answer.retryAfter).toBeLessThanOrEqual(lane.retryAfter[1]);
  expect(answer.body.retry_after).toBe(answer.retryAfter);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('happy', () => {
  it('a burst past the push bound: refusals are immediate 503s with Retry-After, nothing half-written, and the retries store each transaction once', async () => {
    const prefix = `BURST-${crypto.randomUUID().slice(0, 8)}-`;
    const ids = Array.from({ length: 60 }, (_, i) => `${prefix}${i}`);
    const refusedBefore = await scrapeSeries('nitilens_admission_refused_total{lane="push",reason="queue_full"}');
    // Eight pushes already in flight in this isolate (the Worker runs here): every slot is taken.
    const held = await Promise.all(Array.from({ length: PUSH_LANE.slots }, () => pushGate.enter()));
    pushGate.takePeak();
    const answers = Promise.all(ids.map(timedPush));
    // The slots come free 600 ms later: of those that queued, the ones served within their 1 s get in;
    // the rest of the burst was refused without waiting.
    await sleep(600);
    const freedAt = Date.now();
    for (const entry of held) if ('release' in entry) entry.release();
    const first = await answers;

    expect(first.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([]);
    const refused = first.filter((a) => a.status === 503);
    const refusedAtOnce = refused.filter((a) => a.at < freedAt);
    expect(refusedAtOnce.length).toBeGreaterThanOrEqual(ids.length - PUSH_LANE.queue);
    for (const answer of refused) {
      expectRefusal(answer, PUSH_LANE);
      // A waiter is refused after PUSH_LANE.waitMs at the latest; never the 10 s of a hang.
      expect(answer.ms).toBeLessThan(PUSH_LANE.waitMs + 2_000);
    }
    expect(pushGate.takePeak()).toBeLessThanOrEqual(PUSH_LANE.slots);
    const accepted = first.filter((a) => a.status === 200);
    expect(accepted.length).toBeGreaterThan(0);
    for (const answer of accepted) {
      expect(answer.body.results).toEqual([
        { id: answer.id, status: 'accepted', violations: [expect.objectContaining({ rule_name: 'Any amount' })] },
      ]);
    }
    // Nothing half-written: each accepted push is stored once with its violation; a refused one not at all.
    const afterBurst = await storedOf(prefix);
    for (const answer of accepted) {
      expect(afterBurst.rows.get(answer.id)).toBe(1);
      expect(afterBurst.violations.get(answer.id)).toBe(1);
    }
    for (const answer of refused) expect(afterBurst.rows.has(answer.id)).toBe(false);
    // The operator sees them: each refusal without waiting counts in the deployment's metrics.
    const queueFull =
      (await scrapeSeries('nitilens_admission_refused_total{lane="push",reason="queue_full"}')) - refusedBefore;
    expect(queueFull).toBeGreaterThanOrEqual(ids.length - PUSH_LANE.queue);
    expect(queueFull).toBeLessThanOrEqual(refused.length);

    // The ERP sends each refused push again after Retry-After until it is accepted.
    let pending = refused;
    for (let round = 0; pending.length > 0 && round < 20; round++) {
      await sleep(Math.max(...pending.map((a) => a.retryAfter ?? 1)) * 1000);
      const again = await Promise.all(pending.map((a) => timedPush(a.id)));
      for (const answer of again) if (answer.status !== 200) expectRefusal(answer, PUSH_LANE);
      pending = again.filter((a) => a.status !== 200);
    }
    expect(pending).toEqual([]);
    const final = await storedOf(prefix);
    expect([...final.rows.keys()].sort()).toEqual([...ids].sort());
    expect([...final.rows.values()].every((n) => n === 1)).toBe(true);
    expect([...final.violations.values()].every((n) => n === 1)).toBe(true);
  }, 90_000);

  it('uploads past their bound are refused at once with Retry-After 5; an admitted upload is stored whole', async () => {
    const prefix = `UPL-${crypto.randomUUID().slice(0, 8)}-`;
    const held = await Promise.all(Array.from({ length: UPLOAD_LANE.slots }, () => uploadGate.enter()));
    const files = Array.from({ length: 10 }, (_, f) =>
      [0, 1, 2].map((r) => JSON.stringify(transaction(`${prefix}${f}-${r}`))).join('\n'),
    );
    const answers = Promise.all(
      files.map(async (file, f) => {
        const response = await api('POST', '/api/transactions', {
          token: org.access_token,
          rawBody: file,
          headers: { 'content-type': 'application/x-ndjson' },
        });
        return { f, at: Date.now(), status: response.status, retryAfter: response.headers.get('retry-after') };
      }),
    );
    await sleep(600);
    const freedAt = Date.now();
    for (const entry of held) if ('release' in entry) entry.release();
    const results = await answers;

    expect(results.filter((r) => r.status !== 200 && r.status !== 503)).toEqual([]);
    const refused = results.filter((r) => r.status === 503);
    expect(refused.filter((r) => r.at < freedAt).length).toBeGreaterThanOrEqual(files.length - UPLOAD_LANE.queue);
    for (const r of refused) expect(r.retryAfter).toBe('5');
    const stored = await storedOf(prefix);
    for (const r of results) {
      const rows = [0, 1, 2].map((n) => stored.rows.get(`${prefix}${r.f}-${n}`) ?? 0);
      expect(rows).toEqual(r.status === 200 ? [1, 1, 1] : [0, 0, 0]);
    }
  }, 60_000);
});

describe('sad', () => {
  it('a push that waits past the lane deadline is refused after ~1 s, not held until the client gives up', async () => {
    const prefix = `WAIT-${crypto.randomUUID().slice(0, 8)}-`;
    const held = await Promise.all(Array.from({ length: PUSH_LANE.slots }, () => pushGate.enter()));
    try {
      const answers = await Promise.all([0, 1, 2].map((i) => timedPush(`${prefix}${i}`)));
      for (const answer of answers) {
        expectRefusal(answer, PUSH_LANE);
        expect(answer.ms).toBeGreaterThanOrEqual(PUSH_LANE.waitMs - 50);
        expect(answer.ms).toBeLessThan(PUSH_LANE.waitMs + 2_000);
      }
    } finally {
      for (const entry of held) if ('release' in entry) entry.release();
    }
    expect((await storedOf(prefix)).rows.size).toBe(0);
  });

  it("an admitted push finds every database connection taken: 503 with Retry-After after the lane's short wait, not 5 s", async () => {
    const prefix = `CONN-${crypto.randomUUID().slice(0, 8)}-`;
    // Something else holds all of the isolate's connections for 3 s.
    const holders = Promise.all(
      Array.from({ length: CONNECTION_SLOTS }, () => withDatabase((db) => db.execute(sql`select pg_sleep(3)`))),
    );
    await sleep(500);
    const answer = await timedPush(`${prefix}0`);
    await holders;
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ status: 503, type: 'https://nitilens.dev/problems/service-unavailable' });
    expect(answer.retryAfter).toBeGreaterThanOrEqual(1);
    expect(answer.ms).toBeGreaterThanOrEqual(PUSH_LANE.connectionWaitMs - 50);
    expect(answer.ms).toBeLessThan(PUSH_LANE.connectionWaitMs + 1_500);
    expect((await storedOf(prefix)).rows.size).toBe(0);
    // With the connections free again, the same push is stored.
    expect((await timedPush(`${prefix}0`)).status).toBe(200);
  }, 30_000);

  it('a Durable Object that refuses a call (overloaded, or a transient reset) is a 503 with Retry-After, not a 500', () => {
    const overloaded = Object.assign(new Error('Durable Object is overloaded. Too many requests queued.'), {
      overloaded: true,
      retryable: false,
    });
    expect(databaseUnavailable(overloaded)).toMatchObject({ status: 503, headers: { 'Retry-After': '5' } });
    const reset = Object.assign(new Error('Durable Object reset because its code was updated.'), { retryable: true });
    expect(databaseUnavailable(new Error('wrapped', { cause: reset }))).toMatchObject({
      status: 503,
      headers: { 'Retry-After': '1' },
    });
    expect(databaseUnavailable(new Error('a bug'))).toBeUndefined();
  });
});
