import { eq, sql } from 'drizzle-orm';
import { rules } from '../../db/schema';
import type { Tx } from '../../db/tenant';
import { notFound } from '../platform/errors';
import { countHits, detectViolations, type EvaluationScope } from './engine';
import type { Severity } from './language';
import { findVersion } from './service';
import type { ActiveRuleVersion } from './versions';

const SAMPLE_SIZE = 20;

/** Runs a version (a draft too) over stored transactions exactly as a scan would, writing nothing. */
export async function backtestRule(
  tx: Tx,
  orgId: string,
  ruleId: string,
  options: { version?: number; from?: Date; to?: Date },
) {
  const started = Date.now();
  // Whatever the engine does, this transaction cannot write.
  await tx.execute(sql`set transaction read only`);
  const [rule] = await tx.select().from(rules).where(eq(rules.id, ruleId));
  if (!rule) throw notFound('Rule');
  const row = await findVersion(tx, ruleId, options.version ?? rule.latestVersion);
  const version: ActiveRuleVersion = {
    id: row.id,
    ruleId,
    version: row.version,
    name: row.name,
    severity: row.severity as Severity,
    condition: row.condition,
    policyId: row.policyId,
    clauseRef: row.clauseRef,
  };
  const scope: EvaluationScope = {
    kind: 'range',
    firstId: 0,
    lastId: Number.MAX_SAFE_INTEGER,
    from: options.from,
    to: options.to,
  };
  const { scanned, hits } = await countHits(tx, orgId, scope, version);
  const sample =
    hits === 0
      ? []
      : await detectViolations(tx, orgId, scope, { ruleVersions: [version], persist: false, sampleLimit: SAMPLE_SIZE });
  return {
    hits,
    sample: sample.map((v) => ({ transaction_id: v.externalId, explanation: v.explanation, evidence: v.evidence })),
    scanned,
    duration_ms: Date.now() - started,
  };
}
