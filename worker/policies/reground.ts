import { and, eq, inArray } from 'drizzle-orm';
import { policyRuleOrigins, rules, ruleVersions } from '../../db/schema';
import type { Tx } from '../../db/tenant';
import { type Actor, recordAudit } from '../platform/audit';
import type { Condition } from '../rules/language';
import { createVersion } from '../rules/service';
import { readDataVocabulary } from './data-vocabulary';
import { groundCondition } from './extraction/grounding';
import { findPolicy } from './service';

/**
 * Grounds again, on the data stored now, the drafts of a policy that were proposed before the data
 * knew their words (`ungrounded`) or while some words matched nothing (`partial`). A draft whose
 * grounded condition changes gets a new draft version (the old one is superseded, as with any edit);
 * drafts already decided on, and grounded drafts, are left as they are.
 */
export async function regroundPolicyDrafts(tx: Tx, actor: Actor, policyId: string) {
  await findPolicy(tx, policyId);
  const rows = await tx
    .select({ origin: policyRuleOrigins, version: ruleVersions })
    .from(policyRuleOrigins)
    .innerJoin(rules, eq(rules.id, policyRuleOrigins.ruleId))
    .innerJoin(ruleVersions, and(eq(ruleVersions.ruleId, rules.id), eq(ruleVersions.version, rules.latestVersion)))
    .where(
      and(
        eq(policyRuleOrigins.policyId, policyId),
        eq(ruleVersions.status, 'draft'),
        inArray(policyRuleOrigins.grounding, ['ungrounded', 'partial']),
      ),
    )
    .orderBy(policyRuleOrigins.ordinal);
  const vocabulary = await readDataVocabulary(tx);
  const counts = { checked: 0, changed: 0, grounded: 0, partial: 0, ungrounded: 0 };
  for (const { origin, version } of rows) {
    if (!origin.extracted || !version.sourceText) continue;
    counts.checked += 1;
    const grounding = groundCondition(origin.extracted.condition as Condition, version.sourceText, vocabulary);
    counts[grounding.status] += 1;
    if (canonicalJson(grounding.condition) !== canonicalJson(version.condition)) {
      counts.changed += 1;
      await createVersion(
        tx,
        actor,
        origin.ruleId,
        {
          name: version.name,
          description: version.description ?? undefined,
          severity: version.severity,
          condition: grounding.condition,
          policy_id: policyId,
          clause_ref: version.clauseRef ?? undefined,
        },
        { sourceText: version.sourceText, confidence: Number(version.confidence ?? 0) },
      );
    }
    await tx
      .update(policyRuleOrigins)
      .set({ assumptions: [...grounding.assumptions, ...origin.extracted.assumptions], grounding: grounding.status })
      .where(eq(policyRuleOrigins.ruleId, origin.ruleId));
  }
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: 'policy.regrounded',
    targetType: 'policy',
    targetId: policyId,
    details: { ...counts, transactions: vocabulary.transactions },
  });
  return {
    drafts_checked: counts.checked,
    drafts_changed: counts.changed,
    grounding: {
      grounded: counts.grounded,
      partial: counts.partial,
      ungrounded: counts.ungrounded,
    },
  };
}

/** JSON with object keys sorted: jsonb does not keep the key order a condition was written in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, member: unknown) =>
    member && typeof member === 'object' && !Array.isArray(member)
      ? Object.fromEntries(Object.entries(member).sort(([a], [b]) => a.localeCompare(b)))
      : member,
  );
}
