import { z } from '@hono/zod-openapi';
import { and, count, desc, eq, inArray, isNotNull, lt, sql } from 'drizzle-orm';
import { organizations, policies, rules, ruleVersions, screeningLists } from '../../db/schema';
import type { Tx } from '../../db/tenant';
import type { Env } from '../env';
import { type Actor, recordAudit } from '../platform/audit';
import { ApiError, notFound } from '../platform/errors';
import { olderThan } from '../platform/keyset';
import { decodeCursor, toPage } from '../platform/pagination';
import { assertWithinLimit } from '../subscription/limits';
import { subscriptionPlan } from '../subscription/plan';
import type { VERSION_STATUSES } from './kinds';
import { type Condition, isScreenOperand, type RuleInput, type Severity, validateRule } from './language';
import { isPredicate, walkConditions } from './language/condition-tree';

type VersionStatus = (typeof VERSION_STATUSES)[number];
type RuleRow = typeof rules.$inferSelect;
type VersionRow = typeof ruleVersions.$inferSelect;

/** Rules extracted from a policy keep the sentence they came from and the extractor's confidence. */
type Provenance = { sourceText: string; confidence: number };

/** Creates a rule and its first draft version; an invalid rule is a 400 naming each offending node. */
export async function createRule(tx: Tx, actor: Actor, body: unknown, provenance?: Provenance) {
  const input = await validRule(tx, body);
  const [rule] = await tx
    .insert(rules)
    .values({ orgId: actor.orgId, policyId: input.policy_id ?? null, createdBy: actor.userId })
    .returning();
  const version = await insertVersion(tx, actor, rule!.id, 1, input, provenance);
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: 'rule.created',
    targetType: 'rule',
    targetId: rule!.id,
    details: { version: 1, name: input.name, severity: input.severity },
  });
  return ruleView(rule!, version);
}

/** Versions are immutable: an edit is a new draft; an approved version keeps being evaluated meanwhile. */
export async function createVersion(tx: Tx, actor: Actor, ruleId: string, body: unknown, provenance?: Provenance) {
  const rule = await lockRule(tx, ruleId);
  const input = await validRule(tx, body);
  const next = rule.latestVersion + 1;
  // Only the newest draft awaits a decision.
  await tx
    .update(ruleVersions)
    .set({ status: 'superseded' })
    .where(and(eq(ruleVersions.ruleId, ruleId), eq(ruleVersions.status, 'draft')));
  const version = await insertVersion(tx, actor, ruleId, next, input, provenance);
  const [updated] = await tx
    .update(rules)
    .set({ latestVersion: next, policyId: input.policy_id ?? null, updatedAt: sql`now()` })
    .where(eq(rules.id, ruleId))
    .returning();
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: 'rule.version_created',
    targetType: 'rule',
    targetId: ruleId,
    details: { version: next, name: input.name, severity: input.severity },
  });
  return ruleView(updated!, version);
}

/**
 * Approves or rejects a draft version. Approval makes it the evaluated version and supersedes the
 * previously approved one. With four-eyes on, the version's author may not decide on it.
 */
export async function decideVersion(
  env: Env,
  tx: Tx,
  actor: Actor,
  ruleId: string,
  decision: 'approved' | 'rejected',
  body: { version?: number; comment?: string },
) {
  const rule = await lockRule(tx, ruleId);
  const number = body.version ?? rule.latestVersion;
  const version = await findVersion(tx, ruleId, number);
  if (version.status !== 'draft')
    throw new ApiError('conflict', `Version ${number} is ${version.status}; only a draft can be approved or rejected.`);
  if (version.createdBy === actor.userId && (await fourEyesRequired(tx, actor.orgId))) {
    throw new ApiError(
      'forbidden',
      'Four-eyes approval is on: the author of a rule version cannot approve or reject it. Ask another reviewer.',
    );
  }
  if (decision === 'approved' && rule.activeVersion === null) await assertRuleInForceAllowed(env, tx, actor.orgId);
  const decided = { decidedBy: actor.userId, decidedAt: sql`now()`, decisionComment: body.comment ?? null };
  const [updatedVersion] = await tx
    .update(ruleVersions)
    .set({ status: decision, ...decided })
    .where(eq(ruleVersions.id, version.id))
    .returning();
  let updatedRule = rule;
  if (decision === 'approved') {
    await tx
      .update(ruleVersions)
      .set({ status: 'superseded' })
      .where(
        and(eq(ruleVersions.ruleId, ruleId), eq(ruleVersions.status, 'approved'), lt(ruleVersions.version, number)),
      );
    [updatedRule] = (await tx
      .update(rules)
      .set({ activeVersion: number, updatedAt: sql`now()` })
      .where(eq(rules.id, ruleId))
      .returning()) as [RuleRow];
  }
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: decision === 'approved' ? 'rule.approved' : 'rule.rejected',
    targetType: 'rule',
    targetId: ruleId,
    details: {
      version: number,
      comment: body.comment ?? null,
      superseded: decision === 'approved' ? rule.activeVersion : null,
    },
  });
  const latest =
    number === updatedRule.latestVersion ? updatedVersion! : await findVersion(tx, ruleId, updatedRule.latestVersion);
  return ruleView(updatedRule, latest);
}

/** A rule's first approval puts it in force: rules in force count against the plan's rule limit. */
async function assertRuleInForceAllowed(env: Env, tx: Tx, orgId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`rules:${orgId}`}, 0))`);
  const plan = await subscriptionPlan(tx, orgId);
  if (plan.maxRules === null) return;
  const [row] = await tx.select({ used: count() }).from(rules).where(isNotNull(rules.activeVersion));
  await assertWithinLimit(env, tx, plan, {
    orgId,
    name: 'rules',
    used: row?.used ?? 0,
    advice: 'upgrade the plan on the Subscription page (new versions of rules in force can still be approved).',
  });
}

export async function getRule(tx: Tx, ruleId: string) {
  const [rule] = await tx.select().from(rules).where(eq(rules.id, ruleId));
  if (!rule) throw notFound('Rule');
  const versions = await tx
    .select()
    .from(ruleVersions)
    .where(eq(ruleVersions.ruleId, ruleId))
    .orderBy(desc(ruleVersions.version));
  const latest = versions.find((v) => v.version === rule.latestVersion)!;
  return { ...ruleView(rule, latest), versions: versions.map(versionView) };
}

export async function findVersion(tx: Tx, ruleId: string, number: number): Promise<VersionRow> {
  const [version] = await tx
    .select()
    .from(ruleVersions)
    .where(and(eq(ruleVersions.ruleId, ruleId), eq(ruleVersions.version, number)));
  if (!version) throw notFound(`Version ${number} of the rule`);
  return version;
}

export async function listRules(
  tx: Tx,
  query: { limit: number; cursor?: string; status?: VersionStatus; policy_id?: string },
) {
  const rows = await tx
    .select({ rule: rules, version: ruleVersions, sortAt: sql<string>`${rules.createdAt}::text` })
    .from(rules)
    .innerJoin(ruleVersions, and(eq(ruleVersions.ruleId, rules.id), eq(ruleVersions.version, rules.latestVersion)))
    .where(
      and(
        query.status ? eq(ruleVersions.status, query.status) : undefined,
        query.policy_id ? eq(rules.policyId, query.policy_id) : undefined,
        olderThan(rules.createdAt, rules.id, query.cursor),
      ),
    )
    .orderBy(desc(rules.createdAt), desc(rules.id))
    .limit(query.limit + 1);
  return toPage(
    rows,
    query.limit,
    (r) => ruleView(r.rule, r.version),
    (r) => [r.sortAt, r.rule.id],
  );
}

const versionCursor = z.tuple([z.number().int()]);

export async function listVersions(tx: Tx, ruleId: string, query: { limit: number; cursor?: string }) {
  const after = decodeCursor(query.cursor, versionCursor);
  const [rule] = await tx.select({ id: rules.id }).from(rules).where(eq(rules.id, ruleId));
  if (!rule) throw notFound('Rule');
  const rows = await tx
    .select()
    .from(ruleVersions)
    .where(and(eq(ruleVersions.ruleId, ruleId), after ? lt(ruleVersions.version, after[0]) : undefined))
    .orderBy(desc(ruleVersions.version))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, versionView, (v) => [v.version]);
}

export async function fourEyesRequired(tx: Tx, orgId: string): Promise<boolean> {
  const [org] = await tx
    .select({ settings: organizations.settings })
    .from(organizations)
    .where(eq(organizations.id, orgId));
  return org?.settings.four_eyes === true;
}

export async function setFourEyes(tx: Tx, actor: Actor, fourEyes: boolean): Promise<{ four_eyes: boolean }> {
  const before = await fourEyesRequired(tx, actor.orgId);
  await tx
    .update(organizations)
    .set({ settings: sql`${organizations.settings} || ${JSON.stringify({ four_eyes: fourEyes })}::jsonb` })
    .where(eq(organizations.id, actor.orgId));
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: 'organization.settings_changed',
    targetType: 'organization',
    targetId: actor.orgId,
    details: { four_eyes: { from: before, to: fourEyes } },
  });
  return { four_eyes: fourEyes };
}

async function lockRule(tx: Tx, ruleId: string): Promise<RuleRow> {
  // Serializes edits and decisions on one rule, so version numbers never collide.
  const [rule] = await tx.select().from(rules).where(eq(rules.id, ruleId)).for('update');
  if (!rule) throw notFound('Rule');
  return rule;
}

async function validRule(tx: Tx, body: unknown): Promise<RuleInput> {
  const validation = validateRule(body);
  const errors = validation.ok ? [] : validation.errors;
  const policyId = validation.ok ? validation.rule.policy_id : undefined;
  if (policyId) {
    const [policy] = await tx.select({ id: policies.id }).from(policies).where(eq(policies.id, policyId));
    if (!policy) errors.push({ path: 'policy_id', message: 'No policy with this id exists in your organization.' });
  }
  if (validation.ok) errors.push(...(await unknownScreeningLists(tx, validation.rule.condition)));
  if (!validation.ok || errors.length > 0) throw new ApiError('validation_failed', 'The rule is invalid.', { errors });
  return validation.rule;
}

/** Each `screen` predicate must name a screening list of the organization. */
async function unknownScreeningLists(tx: Tx, condition: Condition): Promise<{ path: string; message: string }[]> {
  const screens = [...walkConditions(condition, ['condition'])].flatMap(({ condition: node, path }) =>
    isPredicate(node) && node.op === 'screen' && isScreenOperand(node.value)
      ? [{ listId: node.value.list_id, path: [...path, 'value', 'list_id'].join('.') }]
      : [],
  );
  if (screens.length === 0) return [];
  const known = new Set(
    (
      await tx
        .select({ id: screeningLists.id })
        .from(screeningLists)
        .where(inArray(screeningLists.id, [...new Set(screens.map((screen) => screen.listId))]))
    ).map((row) => row.id),
  );
  return screens
    .filter((screen) => !known.has(screen.listId))
    .map((screen) => ({ path: screen.path, message: 'No screening list with this id exists in your organization.' }));
}

async function insertVersion(
  tx: Tx,
  actor: Actor,
  ruleId: string,
  version: number,
  input: RuleInput,
  provenance?: Provenance,
): Promise<VersionRow> {
  const [row] = await tx
    .insert(ruleVersions)
    .values({
      orgId: actor.orgId,
      ruleId,
      version,
      name: input.name,
      description: input.description ?? null,
      severity: input.severity,
      condition: input.condition,
      policyId: input.policy_id ?? null,
      clauseRef: input.clause_ref ?? null,
      sourceText: provenance?.sourceText ?? null,
      confidence: provenance ? String(provenance.confidence) : null,
      createdBy: actor.userId,
    })
    .returning();
  return row!;
}

export function ruleView(rule: RuleRow, latest: VersionRow) {
  return {
    id: rule.id,
    version: latest.version,
    status: latest.status as VersionStatus,
    active_version: rule.activeVersion,
    name: latest.name,
    description: latest.description,
    severity: latest.severity as Severity,
    condition: latest.condition,
    policy_id: latest.policyId,
    clause_ref: latest.clauseRef,
    created_by: rule.createdBy,
    created_at: rule.createdAt.toISOString(),
    updated_at: rule.updatedAt.toISOString(),
  };
}

function versionView(version: VersionRow) {
  return {
    version: version.version,
    status: version.status as VersionStatus,
    name: version.name,
    description: version.description,
    severity: version.severity as Severity,
    condition: version.condition,
    policy_id: version.policyId,
    clause_ref: version.clauseRef,
    created_by: version.createdBy,
    created_at: version.createdAt.toISOString(),
    decided_by: version.decidedBy,
    decided_at: version.decidedAt?.toISOString() ?? null,
    decision_comment: version.decisionComment,
  };
}
