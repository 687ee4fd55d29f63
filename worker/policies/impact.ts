import { and, eq, inArray, sql } from 'drizzle-orm';
import { policyRuleOrigins, rules, ruleVersions } from '../../db/schema';
import type { Tx } from '../../db/tenant';
import { ApiError } from '../platform/errors';
import { backtestRule } from '../rules/backtest';
import { type Clause, diffClauses } from './extraction/clauses';
import { asClause, clauseRowsOf, findPolicy, findPolicyVersion } from './service';

/** A rule citing the policy, at the version that represents it: the approved one if any, else its latest. */
type CitingRule = {
  ruleId: string;
  version: number;
  status: 'approved' | 'draft';
  name: string;
  condition: unknown;
  clauseRef: string | null;
  /** The policy version it was extracted from, if it was extracted. */
  originVersionId: string | null;
};

type Change = 'added' | 'removed' | 'changed';
type Pairing = { clauseKey: string; change: Change; before?: CitingRule; after?: CitingRule };

const SAMPLE_IDS = 10;

/**
 * What the current version of a policy changed against the previous one, and, for each rule the change
 * affects, the violations it finds on the organization's stored transactions before and after: the rule
 * citing the old clause text against the draft read from the new text, each backtested by the engine.
 */
export async function policyImpact(tx: Tx, orgId: string, policyId: string) {
  const policy = await findPolicy(tx, policyId);
  if (policy.currentVersion < 2) {
    throw new ApiError(
      'conflict',
      'The policy has a single version; upload a new version (`policy_id` in the upload) to see the impact of a change.',
    );
  }
  const current = await findPolicyVersion(tx, policyId, policy.currentVersion);
  const previous = await findPolicyVersion(tx, policyId, policy.currentVersion - 1);
  const diff = diffClauses(
    (await clauseRowsOf(tx, previous.id)).map(asClause),
    (await clauseRowsOf(tx, current.id)).map(asClause),
  );
  const citing = await rulesCitingPolicy(tx, policyId);
  const fromCurrent = citing.filter((rule) => rule.originVersionId === current.id);
  const fromBefore = citing.filter((rule) => rule.originVersionId !== current.id);
  const pairings = [
    ...diff.changed.flatMap(({ after }) => pairRules(after.key, 'changed', fromBefore, fromCurrent)),
    ...diff.removed.flatMap(({ key }) => pairRules(key, 'removed', fromBefore, [])),
    ...diff.added.flatMap(({ key }) => pairRules(key, 'added', [], fromCurrent)),
  ];
  const affected = [];
  for (const pairing of pairings) {
    affected.push({
      clause_key: pairing.clauseKey,
      change: pairing.change,
      before: pairing.before ? await backtest(tx, orgId, pairing.before) : null,
      after: pairing.after ? await backtest(tx, orgId, pairing.after) : null,
    });
  }
  const [scanned] = await tx.execute<{ n: number }>(
    sql`select count(*)::int as n from transactions where org_id = ${orgId}`,
  );
  return {
    policy_id: policyId,
    version: current.version,
    previous_version: previous.version,
    transactions_scanned: scanned!.n,
    clauses: {
      added: diff.added.map(clauseText),
      removed: diff.removed.map(clauseText),
      changed: diff.changed.map(({ before, after }) => ({
        key: after.key,
        number: after.number,
        before: before.text,
        after: after.text,
      })),
    },
    rules: affected,
  };
}

/** Rejected rules enforce nothing and are left out; so is a rule whose only version is a rejected draft. */
async function rulesCitingPolicy(tx: Tx, policyId: string): Promise<CitingRule[]> {
  const rows = await tx
    .select({
      ruleId: rules.id,
      version: ruleVersions.version,
      status: ruleVersions.status,
      name: ruleVersions.name,
      condition: ruleVersions.condition,
      clauseRef: ruleVersions.clauseRef,
      originVersionId: policyRuleOrigins.policyVersionId,
    })
    .from(rules)
    .innerJoin(
      ruleVersions,
      and(
        eq(ruleVersions.ruleId, rules.id),
        eq(ruleVersions.version, sql`coalesce(${rules.activeVersion}, ${rules.latestVersion})`),
      ),
    )
    .leftJoin(policyRuleOrigins, eq(policyRuleOrigins.ruleId, rules.id))
    .where(and(eq(rules.policyId, policyId), inArray(ruleVersions.status, ['approved', 'draft'])))
    .orderBy(rules.createdAt, sql`coalesce(${policyRuleOrigins.ordinal}, -1)`, rules.id);
  return rows as CitingRule[];
}

/**
 * Pairs each rule citing the old clause with a draft read from the new text of the same clause: first
 * the draft with the same condition shape (a changed threshold keeps the shape), then in document order.
 * A rule left without a partner is reported against none.
 */
function pairRules(clauseKey: string, change: Change, before: CitingRule[], after: CitingRule[]): Pairing[] {
  const olds = before.filter((rule) => rule.clauseRef === clauseKey);
  const news = after.filter((rule) => rule.clauseRef === clauseKey);
  const pairings: Pairing[] = [];
  const unpaired: CitingRule[] = [];
  for (const old of olds) {
    const index = news.findIndex((draft) => conditionShape(draft.condition) === conditionShape(old.condition));
    if (index === -1) unpaired.push(old);
    else pairings.push({ clauseKey, change, before: old, after: news.splice(index, 1)[0] });
  }
  for (const old of unpaired) pairings.push({ clauseKey, change, before: old, after: news.shift() });
  for (const draft of news) pairings.push({ clauseKey, change, after: draft });
  return pairings;
}

/** The condition with its compared values blanked: what stays the same when only a number changes. */
function conditionShape(condition: unknown): string {
  return JSON.stringify(condition, (key, value: unknown) => (key === 'value' ? null : value));
}

async function backtest(tx: Tx, orgId: string, rule: CitingRule) {
  const result = await backtestRule(tx, orgId, rule.ruleId, { version: rule.version });
  return {
    rule_id: rule.ruleId,
    version: rule.version,
    status: rule.status,
    name: rule.name,
    condition: rule.condition,
    hits: result.hits,
    sample_transaction_ids: result.sample.slice(0, SAMPLE_IDS).map((hit) => hit.transaction_id),
  };
}

function clauseText(clause: Clause) {
  return { key: clause.key, number: clause.number, heading: clause.heading ?? null, text: clause.text };
}
