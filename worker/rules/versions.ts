import { and, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import { rules, ruleVersions } from '../../db/schema';
import type { Tx } from '../../db/tenant';
import type { Severity } from './language';

/** A rule version as the engine evaluates it. */
export type ActiveRuleVersion = {
  id: string;
  ruleId: string;
  version: number;
  name: string;
  severity: Severity;
  condition: unknown;
  policyId: string | null;
  clauseRef: string | null;
};

const versionColumns = {
  id: ruleVersions.id,
  ruleId: ruleVersions.ruleId,
  version: ruleVersions.version,
  name: ruleVersions.name,
  severity: ruleVersions.severity,
  condition: ruleVersions.condition,
  policyId: ruleVersions.policyId,
  clauseRef: ruleVersions.clauseRef,
};

/** The approved version of each rule (of `ruleIds`, or of every rule): what scans and webhooks evaluate. */
export async function loadActiveRuleVersions(tx: Tx, ruleIds?: string[]): Promise<ActiveRuleVersion[]> {
  const rows = await tx
    .select(versionColumns)
    .from(rules)
    .innerJoin(ruleVersions, and(eq(ruleVersions.ruleId, rules.id), eq(ruleVersions.version, rules.activeVersion)))
    // The status as a literal (docs/architecture.md, Round trips).
    .where(
      and(
        isNotNull(rules.activeVersion),
        sql`${ruleVersions.status} = 'approved'`,
        ruleIds ? inArray(rules.id, ruleIds) : sql`true`,
      ),
    )
    .orderBy(rules.createdAt, rules.id);
  return rows as ActiveRuleVersion[];
}

/** Exactly these versions, whatever their status since: a scan evaluates the versions it started with. */
export async function loadRuleVersions(tx: Tx, versionIds: string[]): Promise<ActiveRuleVersion[]> {
  if (versionIds.length === 0) return [];
  const rows = await tx
    .select(versionColumns)
    .from(ruleVersions)
    .where(inArray(ruleVersions.id, versionIds))
    .orderBy(ruleVersions.createdAt);
  return rows as ActiveRuleVersion[];
}
