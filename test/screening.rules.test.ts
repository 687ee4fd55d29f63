import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Tx, withTenant } from '../db/tenant';
import { detectViolations } from '../worker/rules/engine';
import {
  type CanonicalTransaction,
  type Condition,
  compileCondition,
  evaluate,
  explain,
  type ScreeningLookup,
  type ScreeningResult,
  validateRule,
} from '../worker/rules/language';
import { bestMatchIn } from '../worker/screening/search';
import { prepareScreening } from '../worker/screening/subjects';
import {
  api,
  apiJson,
  approvedRule,
  createSource,
  pushSigned,
  registerOrganization,
  type Session,
  setPlan,
  withDatabase,
} from './helpers';
import { insertTransactions, listAllViolations, waitForScan } from './rules-fixtures';
import { SANCTIONS_CSV, type UploadedList, uploadList } from './screening-fixtures';

let admin: Session;
let list: UploadedList;

beforeAll(async () => {
  admin = await registerOrganization('Screening Rules Org');
  await setPlan(admin.organization.id, 'pro');
  list = await uploadList(admin, SANCTIONS_CSV, { name: 'Sanctions for rules' });
});

function pushed(id: string, counterparty: string | null, extra: Record<string, unknown> = {}) {
  return {
    id,
    occurred_at: '2026-03-01T09:30:00Z',
    amount: '12500.00',
    currency: 'USD',
    account: 'ACC-1',
    ...(counterparty === null ? {} : { counterparty }),
    ...extra,
  };
}

describe('happy', () => {
  it('a pushed transaction to a listed company written differently is a violation naming the entry and the score', async () => {
    const rule = await approvedRule(admin.access_token, {
      name: 'Counterparty on the sanctions list',
      severity: 'critical',
      condition: { field: 'counterparty', op: 'screen', value: { list_id: list.id, threshold: 0.9 } },
    });
    const source = await createSource(admin.access_token);
    const response = await pushSigned(source.id, source.signing_secret, [
      pushed('SCR-1', 'Acme Trading, L.L.C.'),
      pushed('SCR-2', 'Globex Corporation'),
      pushed('SCR-3', null),
    ]);
    expect(response.status).toBe(200);
    const { results } = (await response.json()) as {
      results: { id: string; violations: { rule_id: string; explanation: string }[] }[];
    };
    expect(results.map((result) => [result.id, result.violations.length])).toEqual([
      ['SCR-1', 1],
      ['SCR-2', 0],
      ['SCR-3', 0],
    ]);
    expect(results[0]!.violations[0]).toMatchObject({ rule_id: rule.id });
    expect(results[0]!.violations[0]!.explanation).toBe(
      `counterparty Acme Trading, L.L.C. matches entry O-1 "ACME Trading LLC" of list Sanctions for rules v1, score 1.0000 >= 0.9`,
    );
    const [violation] = await listAllViolations(admin.access_token, `&rule_id=${rule.id}`);
    expect(violation!.evidence.screening).toEqual([
      {
        field: 'counterparty',
        value: 'Acme Trading, L.L.C.',
        list_id: list.id,
        list_name: 'Sanctions for rules',
        list_version: 1,
        threshold: '0.9',
        score: '1.0000',
        matched: true,
        entry: expect.objectContaining({
          entry_id: 'O-1',
          name: 'ACME Trading LLC',
          matched_name: 'ACME Trading LLC',
          type: 'organization',
          country: 'AE',
          program: 'IRAN',
        }),
      },
    ]);
    // Retire the rule for the tests that follow (they count their own violations).
    await apiJson('POST', `/api/rules/${rule.id}/reject`, 200, { token: admin.access_token, body: {} }).catch(
      () => undefined,
    );
  });

  it('a scan screens stored transactions, and a new list version is what later evaluations read', async () => {
    const org = await registerOrganization('Screening Scan Org');
    await setPlan(org.organization.id, 'pro');
    const own = await uploadList(org, SANCTIONS_CSV, { name: 'Scan list' });
    await insertTransactions(org.organization.id, [
      { id: 'S-1', occurred_at: '2026-03-01T10:00:00Z', amount: '10', counterparty: 'Usama bin Ladin' },
      { id: 'S-2', occurred_at: '2026-03-01T10:00:00Z', amount: '10', counterparty: 'Jane Doe' },
      {
        id: 'S-3',
        occurred_at: '2026-03-01T10:00:00Z',
        amount: '10',
        counterparty: 'VEND-1',
        attributes: { beneficiary: 'Rosneft Oil Co.' },
      },
    ]);
    const rule = await approvedRule(org.access_token, {
      condition: {
        any: [
          { field: 'counterparty', op: 'screen', value: { list_id: own.id } },
          { field: 'attributes.beneficiary', op: 'screen', value: { list_id: own.id } },
        ],
      },
    });
    const scan = await apiJson('POST', '/api/scans', 202, { token: org.access_token, body: {} });
    expect(await waitForScan(org.access_token, scan.id)).toMatchObject({ status: 'completed', violations_found: 2 });
    const found = await listAllViolations(org.access_token, `&rule_id=${rule.id}`);
    expect(found.map((v) => v.transaction_id).sort()).toEqual(['S-1', 'S-3']);

    await uploadList(org, 'id,name,aliases,type,country,program\nN-1,Jane Doe,,person,,\n', { list_id: own.id });
    const again = await apiJson('POST', '/api/scans', 202, { token: org.access_token, body: {} });
    expect(await waitForScan(org.access_token, again.id)).toMatchObject({ status: 'completed' });
    const after = await listAllViolations(org.access_token, `&rule_id=${rule.id}`);
    expect(after.map((v) => v.transaction_id).sort()).toEqual(['S-1', 'S-2', 'S-3']);
    const janeDoe = after.find((v) => v.transaction_id === 'S-2');
    expect((janeDoe!.evidence.screening as unknown[])[0]).toMatchObject({
      list_version: 2,
      entry: { entry_id: 'N-1' },
    });
  });
});

describe('errors', () => {
  it.each([
    [{ field: 'amount', op: 'screen', value: { list_id: '00000000-0000-4000-8000-000000000000' } }, 'condition.op'],
    [{ field: 'counterparty', op: 'screen', value: 'Acme' }, 'condition.value'],
    [{ field: 'counterparty', op: 'screen', value: { list_id: 'nope' } }, 'condition.value.list_id'],
    [
      {
        field: 'counterparty',
        op: 'screen',
        value: { list_id: '00000000-0000-4000-8000-000000000000', threshold: 1.5 },
      },
      'condition.value.threshold',
    ],
    [
      { field: 'counterparty', op: 'eq', value: { list_id: '00000000-0000-4000-8000-000000000000' } },
      'condition.value',
    ],
  ])('an invalid screen predicate is refused at save time: %j', async (condition, path) => {
    const response = await api('POST', '/api/rules', {
      token: admin.access_token,
      body: { name: 'Bad screen', severity: 'high', condition },
    });
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((error) => error.path)).toContain(path);
  });

  it("a list that is not the organization's, and screen inside an aggregate's where, are refused", async () => {
    const other = await registerOrganization('Screening Foreign Org');
    await setPlan(other.organization.id, 'pro');
    const foreign = await api('POST', '/api/rules', {
      token: other.access_token,
      body: {
        name: 'Foreign list',
        severity: 'high',
        condition: { all: [{ field: 'counterparty', op: 'screen', value: { list_id: list.id } }] },
      },
    });
    expect(foreign.status).toBe(400);
    expect(await foreign.json()).toMatchObject({
      errors: [{ path: 'condition.all.0.value.list_id', message: expect.stringContaining('No screening list') }],
    });
    const windowed = await api('POST', '/api/rules', {
      token: admin.access_token,
      body: {
        name: 'Windowed screen',
        severity: 'high',
        condition: {
          aggregate: {
            fn: 'count',
            group_by: ['account'],
            window: '7d',
            where: { field: 'counterparty', op: 'screen', value: { list_id: list.id } },
          },
          op: 'gte',
          value: 2,
        },
      },
    });
    expect(windowed.status).toBe(400);
    expect(await windowed.json()).toMatchObject({ errors: [{ path: 'condition.aggregate.where.op' }] });
  });
});

// The SQL and JavaScript evaluators agree on `screen`, on names chosen around the threshold.

type Random = () => number;

function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

const NAMES = [
  'Vladimir Putin',
  'Putin, Vladimir V.',
  'Vladimr Putin',
  'Mohammed Ali Hassan',
  'Muhammad Hassan',
  'Muhammad Yusuf',
  'Usama bin Ladin',
  'John Smith',
  'John Smyth',
  'John Brown',
  'Smith',
  'ACME Trading L.L.C.',
  'Acme Tradng',
  'Acme Holdings',
  'Rosneft',
  'Rosneft Oil Co',
  'MV Sea Star',
  'Sea Stars Shipping',
  'José García',
  'Jose Garcia Marquez',
  'Globex',
  'VEND-77',
  '',
  'é',
] as const;

function randomTransactions(random: Random, count: number): CanonicalTransaction[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `G-${String(i).padStart(3, '0')}`,
    occurred_at: '2026-03-01T09:30:00Z',
    amount: pick(random, ['10', '9500', '12500']),
    currency: 'USD',
    account: pick(random, ['ACC-1', 'ACC-2']),
    counterparty: random() < 0.85 ? pick(random, NAMES) : null,
    type: pick(random, ['wire', 'cash', null]),
    attributes:
      random() < 0.7 ? { beneficiary: random() < 0.8 ? pick(random, NAMES) : pick(random, [5, true, null]) } : {},
  }));
}

function randomCondition(random: Random, listIds: string[], depth: number): Condition {
  const roll = random();
  if (depth > 0 && roll < 0.25)
    return { all: [randomCondition(random, listIds, depth - 1), randomCondition(random, listIds, depth - 1)] };
  if (depth > 0 && roll < 0.45)
    return { any: [randomCondition(random, listIds, depth - 1), randomCondition(random, listIds, depth - 1)] };
  if (depth > 0 && roll < 0.6) return { not: randomCondition(random, listIds, depth - 1) };
  if (roll < 0.9)
    return {
      field: pick(random, ['counterparty', 'attributes.beneficiary'] as const),
      op: 'screen',
      value: {
        list_id: pick(random, listIds),
        ...(random() < 0.8 ? { threshold: pick(random, [0.4, 0.5, 0.7, 0.85, 0.8955, 0.9, 0.95, 1]) } : {}),
      },
    };
  return { field: 'type', op: 'eq', value: 'wire' };
}

/** The oracle's lookup: the scorer run afresh for every value, not the stored results. */
async function freshLookup(tx: Tx, listIds: string[], history: CanonicalTransaction[]): Promise<ScreeningLookup> {
  const results = new Map<string, ScreeningResult>();
  const values = new Set(
    history
      .flatMap((t) => [t.counterparty, t.attributes?.beneficiary])
      .filter((v): v is string => typeof v === 'string'),
  );
  const lists = await tx.execute<{ id: string; name: string; current_version: number }>(
    sql`select id, name, current_version from screening_lists`,
  );
  for (const listId of listIds) {
    const listRow = lists.find((row) => row.id === listId)!;
    for (const value of values) {
      const match = await bestMatchIn(tx, listId, value);
      results.set(`${listId}/${value}`, {
        list_id: listId,
        list_name: listRow.name,
        list_version: listRow.current_version,
        score: (match?.score ?? 0).toFixed(4),
        best: match && {
          entry_id: match.entry_id,
          name: match.name,
          matched_name: match.matched_name,
          type: match.type,
          country: match.country,
          program: match.program,
          explanation: match.explanation,
        },
      });
    }
  }
  return (listId, subject) => results.get(`${listId}/${subject}`);
}

describe('agreement', () => {
  it('randomized screen rules select the same transactions in SQL and JavaScript, with the same evidence', async () => {
    const org = await registerOrganization('Screening Agreement Org');
    await setPlan(org.organization.id, 'pro');
    const first = await uploadList(org, SANCTIONS_CSV, { name: 'Agreement A' });
    const second = await uploadList(
      org,
      'id,name,aliases,type,country,program\nB-1,John Smith,,person,,\nB-2,Globex,,organization,,\n',
      {
        name: 'Agreement B',
      },
    );
    const listIds = [first.id, second.id];
    const random = seededRandom(20260324);
    const history = randomTransactions(random, 120);
    const orgId = org.organization.id;
    await insertTransactions(
      orgId,
      history.map((t) => ({ ...t, amount: String(t.amount), attributes: t.attributes ?? {} })),
    );
    const conditions = Array.from({ length: 30 }, () => randomCondition(random, listIds, 3));
    let hits = 0;
    await withDatabase((db) =>
      withTenant(db, orgId, async (tx) => {
        const oracle = await freshLookup(tx, listIds, history);
        const stored = await prepareScreening(tx, orgId, sql`t.org_id = ${orgId}`, conditions);
        for (const condition of conditions) {
          expect(validateRule({ name: 'generated', severity: 'low', condition })).toMatchObject({ ok: true });
          const rows = await tx.execute<{ id: string; holds: boolean }>(
            sql`select t.external_id as id, ${compileCondition(condition).holds} as holds from transactions t where t.org_id = ${orgId} order by t.external_id`,
          );
          const disagreements = rows.flatMap((row) => {
            const subject = history.find((t) => t.id === row.id)!;
            const expected = evaluate(condition, subject, [], oracle).holds;
            const withStored = evaluate(condition, subject, [], stored).holds;
            return expected === row.holds && withStored === row.holds
              ? []
              : [`${row.id}: SQL ${row.holds}, JS ${expected}`];
          });
          expect({ condition, disagreements }).toEqual({ condition, disagreements: [] });
          hits += rows.filter((row) => row.holds).length;
        }
        // The webhook path (given transactions, every version in one statement) flags the same, with the oracle's evidence.
        const versions = conditions.map((condition, i) => ({
          id: `00000000-0000-4000-8000-0000000002${String(i).padStart(2, '0')}`,
          ruleId: `rule-${i}`,
          version: 1,
          name: 'generated',
          severity: 'low' as const,
          condition,
          policyId: null,
          clauseRef: null,
        }));
        const ids = await tx.execute<{ id: string }>(
          sql`select id from transactions where org_id = ${orgId} and id % 3 = 0`,
        );
        const detected = await detectViolations(
          tx,
          orgId,
          { kind: 'transactions', ids: ids.map((row) => Number(row.id)) },
          { ruleVersions: versions, persist: false },
        );
        for (const hit of detected) {
          const version = versions.find((v) => v.id === hit.ruleVersionId)!;
          const subject = history.find((t) => t.id === hit.externalId)!;
          expect(hit.evidence).toEqual(explain(version.condition, subject, [], oracle).evidence);
        }
        expect(detected.length).toBeGreaterThan(0);
      }),
    );
    expect(hits).toBeGreaterThan(0);
  });
});
