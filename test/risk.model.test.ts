import { env } from 'cloudflare:workers';
import type { z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../db/tenant';
import { generateDataset } from '../scripts/anomaly-dataset';
import type { pushView } from '../worker/ingest/schemas';
import { storedVector } from '../worker/risk/explanations';
import {
  AccountTails,
  type BatchTransaction,
  FEATURES,
  type FeatureName,
  featureVector,
  instantMicros,
  observe,
  readBatchHistories,
  readStoredHistories,
  type WithHistory,
  zoneClock,
} from '../worker/risk/features';
import {
  averagePath,
  compileForest,
  type Forest,
  featureContributions,
  fitForest,
  forestScore,
  forestScores,
  seededRandom,
} from '../worker/risk/forest';
import type { modelView } from '../worker/risk/schemas';
import { explainScore, idsFilter, loadScoringModel, type ScoringModel, scoreHistory } from '../worker/risk/scoring';
import { accountRisk, wholeParts } from '../worker/risk/service';
import { retrainModels } from '../worker/risk/training';
import { storeTransactions } from '../worker/transactions/store';
import {
  addMember,
  api,
  apiJson,
  createSource,
  expectProblem,
  pushSigned,
  registerOrganization,
  setPlan,
  withDatabase,
} from './helpers';

type Session = Awaited<ReturnType<typeof registerOrganization>>;
type Model = z.infer<typeof modelView>;

async function waitForScoredModel(token: string, timeoutMs = 60_000): Promise<Model> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await api('GET', '/api/risk/models/current', { token });
    const model = response.status === 200 ? await response.json<Model>() : null;
    if (model?.status === 'failed') throw new Error(`training failed: ${model.error}`);
    if (model?.status === 'ready' && model.scoring.finished_at) return model;
    if (Date.now() > deadline) throw new Error(`no scored model in time: ${JSON.stringify(model)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function internalIds(orgId: string, externalIds: string[]): Promise<number[]> {
  const rows = await withDatabase((db) =>
    withTenant(db, orgId, (tx) =>
      tx.execute<{ id: string }>(
        sql`select id from transactions where external_id in (select json_array_elements_text(${JSON.stringify(externalIds)}::json)) order by id`,
      ),
    ),
  );
  return rows.map((row) => Number(row.id));
}

/**
 * The factors the API shows for these stored transactions (detail, list, anomalies) are those their
 * scoring's vector gives, as explained when scored before migration 0015.
 */
async function expectFactorsAsScored(token: string, model: ScoringModel, scored: WithHistory[]): Promise<void> {
  const expected = new Map(scored.map((row) => [row.probe.key, explainScore(model, featureVector(row))]));
  expect([...expected.values()].some((factors) => factors.length > 0)).toBe(true);
  const accounts = new Set<string>();
  for (const [id, factors] of expected) {
    const detail = await apiJson('GET', `/api/transactions/${encodeURIComponent(id)}`, 200, { token });
    expect(detail.anomaly_factors).toEqual(factors);
    accounts.add(detail.account);
  }
  const seen = new Map<string, unknown>();
  for (let cursor: string | null = ''; cursor !== null; ) {
    const page: { items: { id: string; anomaly_factors: unknown }[]; next_cursor: string | null } = await apiJson(
      'GET',
      `/api/risk/anomalies?limit=200${cursor ? `&cursor=${cursor}` : ''}`,
      200,
      {
        token,
      },
    );
    for (const item of page.items) if (expected.has(item.id)) seen.set(`anomalies ${item.id}`, item.anomaly_factors);
    cursor = page.next_cursor;
  }
  for (const account of accounts) {
    const page = await apiJson('GET', `/api/transactions?account=${account}&limit=200`, 200, { token });
    for (const item of page.items) if (expected.has(item.id)) seen.set(`list ${item.id}`, item.anomaly_factors);
  }
  expect(Object.fromEntries(seen)).toEqual(
    Object.fromEntries(
      [...expected].flatMap(([id, factors]) => [
        [`anomalies ${id}`, factors],
        [`list ${id}`, factors],
      ]),
    ),
  );
}

const dataset = generateDataset({ accounts: 16, days: 40, seed: 7, anomalyRate: 0.01, start: '2026-06-01T00:00:00Z' });
const upload = dataset.map(({ anomaly: _anomaly, ...row }) => row);

describe('anomaly model', { timeout: 120_000 }, () => {
  let org: Session;

  beforeAll(async () => {
    org = await registerOrganization('Risk Model');
    await setPlan(org.organization.id, 'enterprise');
    const report = await apiJson('POST', '/api/transactions', 200, { token: org.access_token, body: upload });
    expect(report).toMatchObject({ accepted: upload.length, rejected: 0 });
  });

  it('has no model before the first training (404), and trains on demand (202), scoring what was stored', async () => {
    await expectProblem(await api('GET', '/api/risk/models/current', { token: org.access_token }), 404);

    const queued = await apiJson('POST', '/api/risk/models/train', 202, { token: org.access_token });
    expect(queued).toMatchObject({ status: 'training', version: 1, trained_at: null, features: [...FEATURES] });

    const model = await waitForScoredModel(org.access_token);
    expect(model).toMatchObject({ id: queued.id, status: 'ready', features: [...FEATURES] });
    expect(model.transactions).toBe(upload.length);
    expect(Date.parse(model.trained_at ?? '')).not.toBeNaN();
    expect(model.statistics).toMatchObject({ stored_transactions: upload.length, time_zone: 'UTC', trees: 100 });
    expect(model.scoring).toMatchObject({ total: upload.length, chunks_done: model.scoring.chunks });
    const jobs = await apiJson('GET', '/api/jobs?kind=model_training', 200, { token: org.access_token });
    expect(jobs.items[0]).toMatchObject({ id: model.id, status: 'succeeded', duration_ms: expect.any(Number) });

    // Every stored transaction now has a score in [0, 1], with its factors.
    const page = await apiJson('GET', '/api/transactions?limit=200', 200, { token: org.access_token });
    for (const item of page.items) {
      expect(item.anomaly_score).toBeGreaterThanOrEqual(0);
      expect(item.anomaly_score).toBeLessThanOrEqual(1);
      expect(Array.isArray(item.anomaly_factors)).toBe(true);
    }
  });

  it('puts the planted anomalies at the top, with the features that raised them', async () => {
    await waitForScoredModel(org.access_token);
    const planted = dataset.filter((row) => row.anomaly);
    const top = await apiJson('GET', `/api/risk/anomalies?limit=${planted.length}`, 200, { token: org.access_token });
    const plantedIds = new Set(planted.map((row) => row.id));
    const hits = top.items.filter((item) => plantedIds.has(item.id)).length;
    expect(hits / planted.length).toBeGreaterThanOrEqual(0.5);
    const amountAnomaly = planted.find((row) => row.anomaly === 'amount')!;
    const detail = await apiJson('GET', `/api/transactions/${amountAnomaly.id}`, 200, { token: org.access_token });
    expect(detail.anomaly_score).toBeGreaterThan(0.55);
    expect(detail.anomaly_factors[0]).toMatchObject({ feature: expect.stringMatching(/amount/) });
    for (const factor of detail.anomaly_factors) {
      expect(Object.keys(factor).sort()).toEqual(['contribution', 'feature', 'value']);
      expect(factor.contribution).toBeGreaterThan(0);
    }
  });

  it('computes features one way: a transaction read in a training range and by its id gives the same vector and score', async () => {
    await waitForScoredModel(org.access_token);
    const orgId = org.organization.id;
    const ids = await internalIds(
      orgId,
      upload.slice(200, 260).map((row) => row.id),
    );
    const { model, byIds } = await withDatabase((db) =>
      withTenant(db, orgId, async (tx) => {
        const model = (await loadScoringModel(tx))!;
        const byRange = await readStoredHistories(
          tx,
          orgId,
          sql.raw(`t.id between ${ids[0]} and ${ids.at(-1)}`),
          'UTC',
        );
        const byIds = await readStoredHistories(tx, orgId, idsFilter(ids), 'UTC');
        expect(byIds.map(featureVector)).toEqual(byRange.filter((row) => ids.includes(row.id)).map(featureVector));
        const stored = await tx.execute<{ id: string; anomaly_score: string }>(
          sql`select id, anomaly_score::text from transactions where id = any(${`{${ids.join(',')}}`}::bigint[]) order by id`,
        );
        expect(byIds.map((row) => scoreHistory(model.forest, row).score)).toEqual(
          stored.map((row) => Number(row.anomaly_score).toFixed(4)),
        );
        return { model, byIds };
      }),
    );
    // The factors read through the API are those the scoring's own vector gives (explained on read).
    await expectFactorsAsScored(org.access_token, model, byIds);
  });

  it('scores an upload batch before storing it, with the features its stored rows give afterwards', async () => {
    await waitForScoredModel(org.access_token);
    const orgId = org.organization.id;
    // Later rows of three accounts (two at one instant, one far off the account's habits), a row
    // backdated among an account's stored ones, and an id already stored (a duplicate, not stored again).
    const accounts = [...new Set(upload.map((row) => row.account))].filter((a) => a !== upload[0]!.account).slice(0, 3);
    const batch: (BatchTransaction & Record<string, unknown>)[] = [];
    for (const account of accounts) {
      const own = upload.filter((row) => row.account === account);
      const last = own.at(-1)!;
      const later = (minutes: number) => new Date(Date.parse(last.occurred_at) + minutes * 60_000).toISOString();
      batch.push(
        { ...last, id: `BATCH-${account}-1`, occurred_at: later(60) },
        {
          ...last,
          id: `BATCH-${account}-2`,
          occurred_at: later(60),
          amount: (Number(last.amount) * 40).toFixed(2),
          counterparty: 'V-BATCH-NEW',
        },
        { ...last, id: `BATCH-${account}-3`, occurred_at: later(95.5) },
        {
          ...own[Math.floor(own.length / 2)]!,
          id: `BATCH-${account}-0`,
          // Microseconds past what a Date holds, rounded by Postgres as the features round them.
          occurred_at: `${new Date(Date.parse(own[Math.floor(own.length / 2)]!.occurred_at) + 1_000).toISOString().slice(0, 19)}.1234567+00:00`,
        },
      );
    }
    batch.push(upload[5]!);
    const vectorsOf = (rows: WithHistory[], keep: (key: string) => boolean) =>
      Object.fromEntries(rows.filter((row) => keep(row.probe.key)).map((row) => [row.probe.key, featureVector(row)]));
    const isNew = (key: string) => key.startsWith('BATCH-');

    // Before the insert: the batch's stored part read once per account, and (a span past the limit) per row.
    const before = await withDatabase((db) =>
      withTenant(db, orgId, async (tx) => ({
        perAccount: vectorsOf(await readBatchHistories(tx, orgId, batch, 'UTC'), isNew),
        perRow: vectorsOf(await readBatchHistories(tx, orgId, batch, 'UTC', { spanLimit: 0 }), isNew),
      })),
    );
    expect(Object.keys(before.perAccount)).toHaveLength(batch.length - 1);
    expect(before.perRow).toEqual(before.perAccount);

    const report = await apiJson('POST', '/api/transactions', 200, { token: org.access_token, body: batch });
    expect(report).toMatchObject({ accepted: batch.length - 1, duplicates: 1, rejected: 0 });

    // After it: the stored rows' histories give the same vectors, and each row was stored with the score they give.
    const ids = await internalIds(
      orgId,
      batch.filter((row) => isNew(row.id)).map((row) => row.id),
    );
    const { model, after } = await withDatabase((db) =>
      withTenant(db, orgId, async (tx) => {
        const model = (await loadScoringModel(tx))!;
        const after = await readStoredHistories(tx, orgId, idsFilter(ids), 'UTC');
        expect(vectorsOf(after, isNew)).toEqual(before.perAccount);
        const stored = await tx.execute<{
          anomaly_score: string;
          anomaly_features: string | null;
          anomaly_model_id: string;
          anomaly_factors: unknown;
        }>(
          sql`select anomaly_score::text, anomaly_features, anomaly_model_id, anomaly_factors from transactions where id = any(${`{${ids.join(',')}}`}::bigint[]) order by id`,
        );
        // Each row carries its score, the vector of a score of 0.5 or more, and the model; no factors.
        expect(stored.map((row) => [Number(row.anomaly_score).toFixed(4), storedVector(row.anomaly_features)])).toEqual(
          after.map((row) => {
            const { score, features } = scoreHistory(model.forest, row);
            return [score, features];
          }),
        );
        expect(stored.every((row) => row.anomaly_model_id === model.id && row.anomaly_factors === null)).toBe(true);
        return { model, after };
      }),
    );
    await expectFactorsAsScored(org.access_token, model, after);
    // The row far off its account's habits stands out, with its reasons.
    const odd = await apiJson('GET', `/api/transactions/BATCH-${accounts[0]}-2`, 200, { token: org.access_token });
    expect(odd.anomaly_score).toBeGreaterThan(0.55);
    expect(odd.anomaly_factors.length).toBeGreaterThan(0);
  });

  it('scores a many-batch upload as its stored rows score afterwards, each batch using what the one before learnt', async () => {
    await waitForScoredModel(org.access_token);
    const orgId = org.organization.id;
    // The same accounts' habits, later: more than one upload batch (5,000 rows), two in flight.
    const later = generateDataset({
      accounts: 16,
      days: 200,
      seed: 7,
      anomalyRate: 0.01,
      start: '2026-08-01T00:00:00Z',
    }).map(({ anomaly: _anomaly, ...row }) => ({ ...row, id: `LATER-${row.id}` }));
    expect(later.length).toBeGreaterThan(5000);
    const report = await apiJson('POST', '/api/transactions', 200, { token: org.access_token, body: later });
    expect(report).toMatchObject({ accepted: later.length, rejected: 0 });
    const ids = await internalIds(
      orgId,
      later.map((row) => row.id),
    );
    await withDatabase((db) =>
      withTenant(db, orgId, async (tx) => {
        const model = (await loadScoringModel(tx))!;
        const after = await readStoredHistories(tx, orgId, idsFilter(ids), 'UTC');
        const stored = await tx.execute<{ id: string; anomaly_score: string | null }>(
          sql`select id, anomaly_score::text from transactions where id = any(${`{${ids.join(',')}}`}::bigint[]) order by id`,
        );
        expect(stored.map((row) => row.anomaly_score && Number(row.anomaly_score).toFixed(4))).toEqual(
          after.map((row) => scoreHistory(model.forest, row).score),
        );
      }),
    );
  });

  it("reads an account's tail once per upload: a later batch reads only what was stored since", async () => {
    await waitForScoredModel(org.access_token);
    const orgId = org.organization.id;
    const account = [...new Set(upload.map((row) => row.account))].at(-1)!;
    const last = upload.filter((row) => row.account === account).at(-1)!;
    const row = (id: string, hours: number) => ({
      ...last,
      id,
      occurred_at: new Date(Date.parse('2027-03-01T00:00:00Z') + hours * 3_600_000).toISOString(),
      attributes: {},
    });
    const first = [row('TAIL-1', 1), row('TAIL-2', 2), row('TAIL-3', 2)];
    const second = [row('TAIL-5', 5), row('TAIL-6', 6)];
    const pushed = row('TAIL-4', 4);
    class Rollback extends Error {}
    await expect(
      withDatabase((db) =>
        withTenant(db, orgId, async (tx) => {
          const tails = new AccountTails();
          await readBatchHistories(tx, orgId, first, 'UTC', { tails });
          await storeTransactions(tx, orgId, null, first);
          // Another writer's row between the two batches: read from the database, not known to the tails.
          await storeTransactions(tx, orgId, null, [pushed]);
          const known = await readBatchHistories(tx, orgId, second, 'UTC', { tails });
          const read = await readBatchHistories(tx, orgId, second, 'UTC');
          expect(known.map(featureVector)).toEqual(read.map(featureVector));
          expect(known[0]!.history.slice(-4).map((h) => h.key)).toEqual(['TAIL-1', 'TAIL-2', 'TAIL-3', 'TAIL-4']);
          throw new Rollback();
        }),
      ),
    ).rejects.toBeInstanceOf(Rollback);
  });

  it('scores each webhook push before its rules run: anomaly_score rules hold, and the risk score blends it in', async () => {
    await waitForScoredModel(org.access_token);
    const token = org.access_token;
    const rule = await apiJson('POST', '/api/rules', 201, {
      token,
      body: {
        name: 'Anomalous transaction',
        severity: 'high',
        condition: { field: 'anomaly_score', op: 'gte', value: 0.6 },
      },
    });
    await apiJson('POST', `/api/rules/${rule.id}/approve`, 200, { token: (await addMember(org, 'reviewer')).token });
    const source = await createSource(token);
    const habitual = upload.filter((row) => row.account === upload[0]!.account);
    const last = habitual.at(-1)!;
    const later = (hours: number) => new Date(Date.parse(last.occurred_at) + hours * 3_600_000).toISOString();
    const ordinary = { ...last, id: 'PUSH-ORDINARY', occurred_at: later(24) };
    const odd = {
      ...last,
      id: 'PUSH-ODD',
      occurred_at: later(24 + 11),
      amount: (Number(last.amount) * 400).toFixed(2),
      counterparty: 'V-SHELL-1',
      counterparty_country: 'KY',
    };
    const response = await pushSigned(source.id, source.signing_secret, [ordinary, odd]);
    expect(response.status).toBe(200);
    const { results } = await response.json<z.infer<typeof pushView>>();
    const oddDetail = await apiJson('GET', '/api/transactions/PUSH-ODD', 200, { token });
    const ordinaryDetail = await apiJson('GET', '/api/transactions/PUSH-ORDINARY', 200, { token });
    expect(oddDetail.anomaly_score).toBeGreaterThanOrEqual(0.6);
    expect(ordinaryDetail.anomaly_score).toBeLessThan(0.6);
    expect(results[0]?.violations).toEqual([]);
    expect(results[1]?.violations).toEqual([expect.objectContaining({ rule_id: rule.id, severity: 'high' })]);
    expect(oddDetail.violations).toHaveLength(1);
    expect(oddDetail.violations[0]?.risk_score).toBe(Math.round(100 * (0.7 * 0.75 + 0.3 * oddDetail.anomaly_score!)));
  });

  it('lists accounts by descending risk, each with contributions that add up to its score exactly', async () => {
    await waitForScoredModel(org.access_token);
    const page = await apiJson('GET', '/api/risk/accounts?limit=200', 200, { token: org.access_token });
    expect(page.items.length).toBeGreaterThan(0);
    for (const item of page.items) {
      expect(Object.keys(item).sort()).toEqual(['account', 'factors', 'open_cases', 'open_violations', 'score']);
      expect(item.factors.reduce((sum, f) => sum + f.contribution, 0)).toBe(item.score);
      expect(item.score).toBeGreaterThanOrEqual(0);
      expect(item.score).toBeLessThanOrEqual(100);
    }
    const scores = page.items.map((item) => item.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    // Paging with the cursor yields the same order.
    const first = await apiJson('GET', '/api/risk/accounts?limit=1', 200, { token: org.access_token });
    expect(first.items[0]).toEqual(page.items[0]);
    if (page.items.length > 1) {
      const second = await apiJson('GET', `/api/risk/accounts?limit=1&cursor=${first.next_cursor}`, 200, {
        token: org.access_token,
      });
      expect(second.items[0]).toEqual(page.items[1]);
    }
  });

  it("summarizes the organization's risk: score, 12 weekly points, open violations by rule and severity", async () => {
    const summary = await apiJson('GET', '/api/risk/summary', 200, { token: org.access_token });
    expect(summary.trend).toHaveLength(12);
    expect(summary.trend.at(-1)?.violations).toBeGreaterThanOrEqual(1);
    expect(summary.score).toBeGreaterThan(0);
    expect(summary.counts).toEqual([
      expect.objectContaining({ rule_name: 'Anomalous transaction', severity: 'high', count: summary.open_violations }),
    ]);
  });

  it('is per organization: another one sees no model, and a viewer may read but not train', async () => {
    const other = await registerOrganization('Risk Other');
    await setPlan(other.organization.id, 'enterprise');
    expect((await api('GET', '/api/risk/models/current', { token: other.access_token })).status).toBe(404);
    expect((await api('GET', '/api/transactions/PUSH-ODD', { token: other.access_token })).status).toBe(404);
    const viewer = await addMember(org, 'viewer');
    expect((await api('GET', '/api/risk/models/current', { token: viewer.token })).status).toBe(200);
    expect((await api('POST', '/api/risk/models/train', { token: viewer.token })).status).toBe(403);
  });

  it('retrains weekly every organization on a risk plan with at least 1,000 transactions', async () => {
    await waitForScoredModel(org.access_token);
    const queued = await withDatabase((db) => retrainModels(env, db, new Date()));
    expect(queued).toBeGreaterThanOrEqual(1);
    const model = await waitForScoredModel(org.access_token);
    expect(model).toMatchObject({ version: 2, trigger: 'schedule', status: 'ready' });
  });
});

describe('plans and validation', () => {
  it('answers 402 on a plan without risk, and 400 for an unknown time zone', async () => {
    const org = await registerOrganization('Risk Basic');
    const refused = await api('POST', '/api/risk/models/train', { token: org.access_token });
    expect(await expectProblem(refused, 402)).toMatchObject({ feature: 'risk', plan: 'basic' });
    await setPlan(org.organization.id, 'pro');
    const invalid = await api('POST', '/api/risk/models/train', {
      token: org.access_token,
      body: { time_zone: 'Mars/Olympus' },
    });
    expect(await expectProblem(invalid, 400)).toMatchObject({ errors: [{ path: 'time_zone' }] });
  });

  it('fails a training run with nothing to learn from, saying why', async () => {
    const org = await registerOrganization('Risk Empty');
    await setPlan(org.organization.id, 'pro');
    await apiJson('POST', '/api/risk/models/train', 202, {
      token: org.access_token,
      body: { time_zone: 'Asia/Kolkata' },
    });
    const deadline = Date.now() + 20_000;
    let model: Model;
    do {
      model = await apiJson('GET', '/api/risk/models/current', 200, { token: org.access_token });
      if (model.status !== 'training') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    } while (Date.now() < deadline);
    expect(model).toMatchObject({ status: 'failed', error: expect.stringContaining('no transactions') });
    expect(model.statistics.time_zone).toBe('Asia/Kolkata');
    // A training run is a job: the operations console lists it failed, with its reason.
    const jobs = await apiJson('GET', '/api/jobs?kind=model_training', 200, { token: org.access_token });
    expect(jobs.items).toEqual([
      expect.objectContaining({ id: model.id, kind: 'model_training', status: 'failed', error: model.error }),
    ]);
  });
});

describe('the forest and the risk arithmetic', () => {
  it('is seeded: the same vectors give the same forest and scores', () => {
    const vectors = Array.from({ length: 600 }, (_, i) => [Math.sin(i) * 10, (i * 7) % 13, i % 2]);
    const a = fitForest(vectors);
    const b = fitForest(vectors);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const outlier = [100, 6, 0];
    const compiled = compileForest(a);
    expect(forestScore(compiled, outlier)).toBeGreaterThan(forestScore(compiled, vectors[10]!));
  });

  it('reads an instant to the microsecond as Postgres stores it, whatever its offset', () => {
    for (const text of ['2026-01-01T07:00:00Z', '1999-12-31T23:59:59.999+05:30', '2026-03-29T01:30:00-09:00'])
      expect(instantMicros(text)).toBe(Date.parse(text) * 1000);
    expect(instantMicros('2026-01-01T00:00:00.0000025Z')).toBe(Date.parse('2026-01-01T00:00:00Z') * 1000 + 2);
    expect(instantMicros('2026-01-01T00:00:00.1234567z')).toBe(Date.parse('2026-01-01T00:00:00Z') * 1000 + 123457);
  });

  it("weighs an amount's distance by how well the account is known, and an hour by how rarely the account uses it", () => {
    const clock = zoneClock('UTC');
    const day = 86_400_000_000;
    // An account paying about 100 at 10:00 each day; `days` earlier payments, then one of `amount` at `hour`.
    const vector = (days: number, amount: number, hour: number) => {
      const history = Array.from({ length: days }, (_, d) =>
        observe(clock, `H${d}`, d * day + 10 * 3_600_000_000, 100 * (1 + 0.1 * Math.sin(d)), 'V-1', 'US'),
      );
      const probe = observe(clock, 'P', days * day + hour * 3_600_000_000, amount, 'V-1', 'US');
      const named = featureVector({ probe, history });
      return Object.fromEntries(FEATURES.map((name, f) => [name, named[f]!])) as Record<FeatureName, number>;
    };
    const young = vector(3, 300, 10);
    const settled = vector(40, 300, 10);
    // The same amount, three times the usual: a settled account's deviation is trusted, a young one's is not.
    expect(settled.amount_z_for_account).toBeGreaterThan(2 * young.amount_z_for_account);
    expect(young.amount_z_for_account).toBeGreaterThan(0);
    expect(vector(40, 100, 10).amount_z_for_account).toBeLessThan(1);
    // The usual hour surprises nobody; an hour never used surprises more the longer the history.
    expect(settled.hour_surprise_for_account).toBeLessThan(0.1);
    expect(vector(10, 100, 3).hour_surprise_for_account).toBeCloseTo(Math.log(11 / 0.5), 10);
    expect(vector(40, 100, 3).hour_surprise_for_account).toBeCloseTo(Math.log(41 / 0.5), 10);
    // Two hours off is still near; under five earlier payments, hours are not judged.
    expect(vector(40, 100, 12).hour_surprise_for_account).toBeLessThan(0.1);
    expect(vector(4, 100, 3).hour_surprise_for_account).toBe(0);
  });

  it('scores a batch as it scores each vector, bit for bit, and as the stored forest walked node by node', () => {
    const random = seededRandom(29);
    // Values 1e-7 apart round to one 6-digit bound: nodes whose stored range has no width.
    const vectors = Array.from({ length: 1500 }, (_, i) => [
      random() * 10,
      1 + Math.floor(random() * 40) * 1e-7,
      Math.floor(random() * 4),
      i % 7 === 0 ? 0 : random() ** 3,
    ]);
    const stored = fitForest(vectors, { trees: 30, sampleSize: 256, seed: 3 });
    const forest = compileForest(JSON.parse(JSON.stringify(stored)) as Forest);
    // Outside every training range, on each side, and a vector of another batch's rows.
    const probes = [
      ...vectors.slice(0, 1000),
      ...Array.from({ length: 203 }, (_, i) => [
        (random() - 0.5) * 40,
        1 + (random() - 0.5) * 1e-5,
        i % 9,
        random() * 3 - 1,
      ]),
    ];
    const batch = forestScores(forest, probes);
    probes.forEach((vector, i) => {
      const single = forestScore(forest, vector);
      expect(Object.is(batch[i], single)).toBe(true);
      expect(Object.is(single, referenceScore(stored, vector))).toBe(true);
    });
    // A non-finite entry (features never have one) is scored one vector at a time.
    const odd = [Number.NaN, 1, 1, 0.5];
    expect(Object.is(forestScores(forest, [odd, probes[0]!])[0], forestScore(forest, odd))).toBe(true);
  });

  it("explains a score by each feature's contribution: the score minus the score with that feature at its median", () => {
    const random = seededRandom(11);
    const vectors = Array.from({ length: 800 }, () =>
      Array.from({ length: 6 }, (_, f) =>
        f % 3 === 0 ? Math.floor(random() * 4) : random() * 10 + (random() < 0.02 ? 40 : 0),
      ),
    );
    const forest = compileForest(fitForest(vectors, { trees: 50, sampleSize: 256, seed: 5 }));
    for (const vector of vectors.slice(0, 200)) {
      const score = forestScore(forest, vector);
      const naive = vector.map((value, f) => {
        if (value === forest.medians[f]) return 0;
        const ordinary = [...vector];
        ordinary[f] = forest.medians[f]!;
        return score - forestScore(forest, ordinary);
      });
      expect(featureContributions(forest, vector, score)).toEqual(naive);
    }
  });

  it('splits an account score into whole contributions that add up to it', () => {
    expect(wholeParts([10.4, 10.4, 10.4])).toEqual([11, 10, 10]);
    expect(wholeParts([0.5, 0.5, 0])).toEqual([1, 0, 0]);
    const risk = accountRisk({
      account: 'A',
      violation_risk: '140',
      open_violations: 2,
      max_anomaly: '0.8123',
      open_cases: 1,
    });
    expect(risk.factors.reduce((sum, f) => sum + f.contribution, 0)).toBe(risk.score);
    expect(risk.score).toBe(Math.round(50 * (1 - Math.exp(-140 / 200)) + 30 * ((0.8123 - 0.5) / 0.5) + 10));
  });
});

/** The score as the stored forest defines it, walked node by node on its arrays (the walk of issue 18's first version). */
function referenceScore(forest: Forest, vector: number[]): number {
  let total = 0;
  for (const tree of forest.trees) {
    let node = 0;
    let depth = 0;
    let stillTogether = 1;
    let expected = 0;
    while (tree.feature[node]! >= 0) {
      const value = vector[tree.feature[node]!]!;
      const low = tree.low[node]!;
      const high = tree.high[node]!;
      const beyond = value < low ? low - value : value > high ? value - high : 0;
      if (beyond > 0) {
        const isolated = beyond / (high - low + beyond);
        expected += stillTogether * isolated * (depth + 1);
        stillTogether *= 1 - isolated;
      }
      node = value < tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
      depth++;
    }
    total += expected + stillTogether * (depth + averagePath(tree.size[node]!));
  }
  return 2 ** -(total / forest.trees.length / averagePath(forest.sampleSize));
}
