import { z } from '@hono/zod-openapi';
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { policies, policyClauses, policyRuleOrigins, policyVersions, rules, ruleVersions } from '../../db/schema';
import type { Tx } from '../../db/tenant';
import { notFound } from '../platform/errors';
import { olderThan, pastKey } from '../platform/keyset';
import { decodeCursor, toPage } from '../platform/pagination';
import { backtestRule } from '../rules/backtest';
import type { VERSION_STATUSES } from '../rules/kinds';
import { ruleView } from '../rules/service';
import type { Clause } from './extraction/clauses';
import type { PolicyFormat } from './extraction/text';

type PolicyRow = typeof policies.$inferSelect;
type VersionRow = typeof policyVersions.$inferSelect;
type ClauseRow = typeof policyClauses.$inferSelect;
type PolicyCounts = { clauseCount: number; draftRules: number; approvedRules: number };

/** Row-level security scopes the lookup: another organization's policy is simply not found. */
export async function findPolicy(tx: Tx, policyId: string): Promise<PolicyRow> {
  const [policy] = await tx.select().from(policies).where(eq(policies.id, policyId));
  if (!policy) throw notFound('Policy');
  return policy;
}

export async function findPolicyVersion(tx: Tx, policyId: string, version: number): Promise<VersionRow> {
  const [row] = await tx
    .select()
    .from(policyVersions)
    .where(and(eq(policyVersions.policyId, policyId), eq(policyVersions.version, version)));
  if (!row) throw notFound(`Version ${version} of the policy`);
  return row;
}

export async function clauseRowsOf(tx: Tx, policyVersionId: string): Promise<ClauseRow[]> {
  return tx
    .select()
    .from(policyClauses)
    .where(eq(policyClauses.policyVersionId, policyVersionId))
    .orderBy(asc(policyClauses.ordinal));
}

/** Stored clauses in the extraction module's shape, for diffing against a new version. */
export function asClause(row: ClauseRow): Clause {
  return {
    key: row.clauseKey,
    number: row.number,
    ...(row.heading ? { heading: row.heading } : {}),
    text: row.text,
    start: row.spanStart,
    end: row.spanEnd,
  };
}

// Counted per policy row, so a page of policies is one statement. Columns are written qualified: drizzle leaves them bare.
const countColumns = {
  clauseCount: sql<number>`(select count(*)::int from policy_clauses c join policy_versions v on v.id = c.policy_version_id
    where v.policy_id = policies.id and v.version = policies.current_version)`,
  draftRules: sql<number>`(select count(*)::int from rules r join rule_versions rv on rv.rule_id = r.id and rv.version = r.latest_version
    where r.policy_id = policies.id and rv.status = 'draft')`,
  approvedRules: sql<number>`(select count(*)::int from rules r where r.policy_id = policies.id and r.active_version is not null)`,
};

export async function listPolicies(tx: Tx, query: { limit: number; cursor?: string }) {
  const rows = await tx
    .select({ policy: policies, ...countColumns, sortAt: sql<string>`${policies.createdAt}::text` })
    .from(policies)
    .where(olderThan(policies.createdAt, policies.id, query.cursor))
    .orderBy(desc(policies.createdAt), desc(policies.id))
    .limit(query.limit + 1);
  return toPage(
    rows,
    query.limit,
    (row) => policyView(row.policy, row),
    (row) => [row.sortAt, row.policy.id],
  );
}

/** A policy with the clauses of its current version and every version, newest first. */
export async function getPolicy(tx: Tx, policyId: string) {
  const [row] = await tx
    .select({ policy: policies, ...countColumns })
    .from(policies)
    .where(eq(policies.id, policyId));
  if (!row) throw notFound('Policy');
  const versions = await tx
    .select()
    .from(policyVersions)
    .where(eq(policyVersions.policyId, policyId))
    .orderBy(desc(policyVersions.version));
  const current = versions.find((version) => version.version === row.policy.currentVersion)!;
  return {
    ...policyView(row.policy, row),
    clauses: (await clauseRowsOf(tx, current.id)).map(clauseView),
    versions: versions.map(versionSummaryView),
  };
}

export async function getPolicyVersion(tx: Tx, policyId: string, version: number) {
  await findPolicy(tx, policyId);
  const row = await findPolicyVersion(tx, policyId, version);
  return {
    ...versionSummaryView(row),
    policy_id: policyId,
    text: row.text,
    clauses: (await clauseRowsOf(tx, row.id)).map(clauseView),
  };
}

type VersionStatus = (typeof VERSION_STATUSES)[number];
const policyRuleCursor = z.tuple([z.string(), z.number().int(), z.uuid()]);

/**
 * The rules citing the policy, each at its latest version with the sentence it came from, oldest
 * upload first and in document order within an upload (hand-written rules citing it come first).
 */
export async function listPolicyRules(
  tx: Tx,
  policyId: string,
  query: { limit: number; cursor?: string; status?: VersionStatus },
) {
  const orgId = (await findPolicy(tx, policyId)).orgId;
  const after = decodeCursor(query.cursor, policyRuleCursor);
  const ordinal = sql<number>`coalesce(${policyRuleOrigins.ordinal}, -1)`;
  const rows = await tx
    .select({
      rule: rules,
      version: ruleVersions,
      reason: policyRuleOrigins.reason,
      assumptions: policyRuleOrigins.assumptions,
      notEnforced: policyRuleOrigins.notEnforced,
      grounding: policyRuleOrigins.grounding,
      policyVersion: policyVersions.version,
      ordinal,
      sortAt: sql<string>`${rules.createdAt}::text`,
    })
    .from(rules)
    .innerJoin(ruleVersions, and(eq(ruleVersions.ruleId, rules.id), eq(ruleVersions.version, rules.latestVersion)))
    .leftJoin(policyRuleOrigins, eq(policyRuleOrigins.ruleId, rules.id))
    .leftJoin(policyVersions, eq(policyVersions.id, policyRuleOrigins.policyVersionId))
    .where(
      and(
        eq(rules.policyId, policyId),
        query.status ? eq(ruleVersions.status, query.status) : undefined,
        after &&
          pastKey(
            'asc',
            [rules.createdAt, ordinal, rules.id],
            [sql`${after[0]}::timestamptz`, sql`${after[1]}::int`, sql`${after[2]}::uuid`],
          ),
      ),
    )
    .orderBy(asc(rules.createdAt), asc(ordinal), asc(rules.id))
    .limit(query.limit + 1);
  const page = toPage(
    rows,
    query.limit,
    (row) => row,
    (row) => [row.sortAt, Number(row.ordinal), row.rule.id],
  );
  const items = [];
  // One after the other: they share the transaction.
  for (const row of page.items) {
    const preview = await previewOf(tx, orgId, row.rule.id, row.version.version);
    const grounding = (row.grounding ?? null) as Grounding | null;
    items.push({
      ...ruleView(row.rule, row.version),
      source_text: row.version.sourceText,
      confidence: row.version.confidence === null ? null : Number(row.version.confidence),
      reason: row.reason,
      policy_version: row.policyVersion,
      assumptions: row.assumptions ?? [],
      not_enforced: row.notEnforced ?? [],
      grounding,
      preview,
      flags: reviewFlags(preview, grounding),
    });
  }
  return { ...page, items };
}

type Grounding = 'grounded' | 'partial' | 'ungrounded';
/** Examples shown with a preview: enough to judge the rule, few enough to read. */
const PREVIEW_EXAMPLES = 5;
/** A draft flagging more than this share of the stored history is flagged as noisy in review. */
export const HIGH_SHARE = 0.1;
/** Below this many stored transactions a share says little: a noisy flag needs at least this many checked. */
const HIGH_SHARE_MINIMUM = 20;

export type ReviewFlag = 'no_hits' | 'high_share' | 'ungrounded' | 'unmatched';

/** What the rule version would have flagged on the stored history: the scan engine, nothing written. */
async function previewOf(tx: Tx, orgId: string, ruleId: string, version: number) {
  const result = await backtestRule(tx, orgId, ruleId, { version });
  return {
    transactions_checked: result.scanned,
    hits: result.hits,
    examples: result.sample
      .slice(0, PREVIEW_EXAMPLES)
      .map(({ transaction_id, explanation }) => ({ transaction_id, explanation })),
  };
}

/** What review should look at twice before approving: a rule that finds nothing, or that flags a large share. */
function reviewFlags(
  preview: { transactions_checked: number; hits: number },
  grounding: Grounding | null,
): ReviewFlag[] {
  const flags: ReviewFlag[] = [];
  if (preview.transactions_checked > 0 && preview.hits === 0) flags.push('no_hits');
  if (preview.transactions_checked >= HIGH_SHARE_MINIMUM && preview.hits / preview.transactions_checked > HIGH_SHARE)
    flags.push('high_share');
  if (grounding === 'ungrounded') flags.push('ungrounded');
  if (grounding === 'partial') flags.push('unmatched');
  return flags;
}

function policyView(policy: PolicyRow, counts: PolicyCounts) {
  return {
    id: policy.id,
    name: policy.name,
    framework: policy.framework,
    version: policy.currentVersion,
    status: policy.status,
    clause_count: counts.clauseCount,
    rules: { draft: counts.draftRules, approved: counts.approvedRules },
    created_by: policy.createdBy,
    created_at: policy.createdAt.toISOString(),
    updated_at: policy.updatedAt.toISOString(),
  };
}

function versionSummaryView(version: VersionRow) {
  return {
    version: version.version,
    file_name: version.fileName,
    content_type: version.contentType,
    format: version.format as PolicyFormat,
    size_bytes: version.sizeBytes,
    sha256: version.sha256,
    extractor: version.extractor,
    changes: version.changes,
    uploaded_by: version.uploadedBy,
    created_at: version.createdAt.toISOString(),
  };
}

function clauseView(clause: ClauseRow) {
  return {
    id: clause.id,
    key: clause.clauseKey,
    number: clause.number,
    heading: clause.heading,
    text: clause.text,
    span_start: clause.spanStart,
    span_end: clause.spanEnd,
    not_enforced: clause.notEnforced,
  };
}
