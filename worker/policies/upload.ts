import { count, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { type PolicyVersionChanges, policies, policyClauses, policyRuleOrigins, policyVersions } from '../../db/schema';
import { type Tx, withTenant } from '../../db/tenant';
import type { Env } from '../env';
import { type Actor, recordAudit } from '../platform/audit';
import { ApiError } from '../platform/errors';
import { log } from '../platform/log';
import { createRule } from '../rules/service';
import { assertWithinLimit } from '../subscription/limits';
import { subscriptionPlan } from '../subscription/plan';
import { readDataVocabulary } from './data-vocabulary';
import { type Clause, type ClauseDiff, diffClauses, splitClauses } from './extraction/clauses';
import { extractDraftRules, notEnforcedByClause } from './extraction/extract-rules';
import { PolicyFileError } from './extraction/file-error';
import { type GroundedDraft, groundDraft } from './extraction/grounding';
import { extractDraftRulesWithLlm, llmExtractorSettings } from './extraction/llm-extractor';
import type { DraftRule } from './extraction/schemas';
import { extractPolicyText, type PolicyFormat } from './extraction/text';
import { MAX_POLICY_BYTES } from './schemas';
import { asClause, clauseRowsOf, findPolicy, findPolicyVersion } from './service';
import { deletePolicyFile, type PolicyFile, policyObjectKey, putPolicyFile, sha256Hex } from './storage';

export type PolicyUpload = { file: File; name: string; framework?: string; policy_id?: string };

/** The version a new upload follows, read before the (slow) extraction and re-checked under lock. */
type Predecessor = { version: number; clauses: Clause[] };

/** Served back with the content type of what the bytes are, never the one the uploader claimed. */
const CONTENT_TYPES: Record<PolicyFormat, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  markdown: 'text/markdown',
  text: 'text/plain',
};

/**
 * Stores a policy (or a new version of one): the original file in R2, then the version, its clauses
 * and the draft rules extracted from it in one tenant transaction. Nothing is half-stored: a failed
 * transaction removes the file again.
 */
export async function uploadPolicy(env: Env, db: Database, actor: Actor, upload: PolicyUpload) {
  if (upload.file.size > MAX_POLICY_BYTES) {
    throw new ApiError('payload_too_large', `The file is ${upload.file.size} bytes; policies can be at most 20 MB.`);
  }
  const bytes = new Uint8Array(await upload.file.arrayBuffer());
  const { text, format } = await readPolicyText(bytes, upload.file);
  const clauses = splitClauses(text);
  const predecessor = upload.policy_id
    ? await withTenant(db, actor.orgId, (tx) => predecessorOf(tx, upload.policy_id!))
    : undefined;
  const diff = predecessor ? diffClauses(predecessor.clauses, clauses) : undefined;
  const extractedFrom = diff ? revisedClauses(clauses, diff) : clauses;
  const { drafts: extracted, extractor } = await proposeDrafts(env, extractedFrom);
  // Drafts are proposed in the organization's own words: its stored values and attribute keys.
  const vocabulary = await withTenant(db, actor.orgId, (tx) => readDataVocabulary(tx));
  const drafts = extracted.map((draft) => groundDraft(draft, vocabulary));
  const notEnforced = notEnforcedByClause(extractedFrom, extracted);

  const policyId = upload.policy_id ?? crypto.randomUUID();
  const version = (predecessor?.version ?? 0) + 1;
  const file: PolicyFile = {
    bytes,
    fileName: safeFileName(upload.file.name),
    contentType: CONTENT_TYPES[format],
    sha256: await sha256Hex(bytes),
  };
  const objectKey = policyObjectKey(actor.orgId, policyId, version, file.sha256);
  let stored = false;
  try {
    return await withTenant(db, actor.orgId, async (tx) => {
      if (predecessor) await lockPolicyAt(tx, policyId, predecessor.version);
      else await assertPolicyAllowed(env, tx, actor.orgId);
      // Inside the transaction, after the lock: a concurrent upload of the same version cannot share the key.
      await putPolicyFile(env.POLICY_FILES, objectKey, file);
      stored = true;
      const name = upload.name;
      const framework = upload.framework || null;
      if (predecessor) {
        await tx
          .update(policies)
          .set({ currentVersion: version, name, ...(framework ? { framework } : {}), updatedAt: sql`now()` })
          .where(eq(policies.id, policyId));
      } else {
        await tx
          .insert(policies)
          .values({ id: policyId, orgId: actor.orgId, name, framework, createdBy: actor.userId });
      }
      const changes = diff && predecessor ? changesOf(diff, predecessor.version) : null;
      const [versionRow] = await tx
        .insert(policyVersions)
        .values({
          orgId: actor.orgId,
          policyId,
          version,
          fileName: file.fileName,
          contentType: file.contentType,
          format,
          sizeBytes: bytes.byteLength,
          sha256: file.sha256,
          objectKey,
          text,
          changes,
          extractor,
          uploadedBy: actor.userId,
        })
        .returning();
      await insertClauses(tx, actor.orgId, policyId, versionRow!.id, clauses, notEnforced);
      await insertDrafts(tx, actor, policyId, versionRow!.id, drafts);
      await recordAudit(tx, actor.origin, {
        orgId: actor.orgId,
        actorId: actor.userId,
        action: predecessor ? 'policy.version_created' : 'policy.uploaded',
        targetType: 'policy',
        targetId: policyId,
        details: {
          version,
          name,
          file_name: file.fileName,
          format,
          size_bytes: bytes.byteLength,
          sha256: file.sha256,
          clauses: clauses.length,
          rules: drafts.length,
          ungrounded: drafts.filter(({ grounding }) => grounding !== 'grounded').length,
          extractor,
          changes,
        },
      });
      return { id: policyId, name, version, status: 'active', clauses: clauses.length, rules: drafts.length };
    });
  } catch (error) {
    if (stored) await removeOrphanedFile(env.POLICY_FILES, objectKey);
    throw error;
  }
}

/** The upload's own error is what the caller needs; a failed clean-up is logged with the key to remove by hand. */
async function removeOrphanedFile(bucket: R2Bucket, key: string): Promise<void> {
  try {
    await deletePolicyFile(bucket, key);
  } catch (error) {
    log('error', 'could not delete the file of a failed policy upload', { object_key: key, error: String(error) });
  }
}

/** Bad files say why: an unsupported type is a 415, one that would inflate past the limits a 413, a damaged, encrypted or image-only one a 422. */
async function readPolicyText(bytes: Uint8Array, file: File) {
  try {
    return await extractPolicyText(bytes, file.name, file.type);
  } catch (error) {
    if (!(error instanceof PolicyFileError)) throw error;
    const status =
      error.code === 'unsupported'
        ? 'unsupported_media_type'
        : error.code === 'too_large'
          ? 'payload_too_large'
          : 'unprocessable';
    throw new ApiError(status, error.message, {
      reason: error.code,
    });
  }
}

async function predecessorOf(tx: Tx, policyId: string): Promise<Predecessor> {
  const policy = await findPolicy(tx, policyId);
  const current = await findPolicyVersion(tx, policyId, policy.currentVersion);
  return { version: current.version, clauses: (await clauseRowsOf(tx, current.id)).map(asClause) };
}

/** The clauses a new version added or changed, in document order: the only ones drafts are re-extracted from. */
function revisedClauses(clauses: Clause[], diff: ClauseDiff): Clause[] {
  const revised = new Set([...diff.added, ...diff.changed.map(({ after }) => after)].map(({ key }) => key));
  return clauses.filter(({ key }) => revised.has(key));
}

function changesOf(diff: ClauseDiff, previousVersion: number): PolicyVersionChanges {
  return {
    previous_version: previousVersion,
    added: diff.added.map(({ key }) => key),
    removed: diff.removed.map(({ key }) => key),
    changed: diff.changed.map(({ after }) => after.key),
  };
}

/** The LLM extractor when configured; the deterministic one otherwise, or when the model fails or yields nothing usable. */
async function proposeDrafts(env: Env, clauses: Clause[]): Promise<{ drafts: DraftRule[]; extractor: string }> {
  const llm = llmExtractorSettings(env);
  if (llm && clauses.length > 0) {
    try {
      const { drafts, rejected } = await extractDraftRulesWithLlm(llm.ai, llm.model, clauses);
      if (drafts.length > 0 || rejected === 0) return { drafts, extractor: `llm:${llm.model}` };
      log('warn', 'every LLM rule proposal was rejected; using the deterministic extractor', {
        model: llm.model,
        rejected,
      });
    } catch (error) {
      log('warn', 'the LLM extractor failed; using the deterministic extractor', {
        model: llm.model,
        error: String(error),
      });
    }
  }
  return { drafts: extractDraftRules(clauses), extractor: 'deterministic' };
}

/** Another upload of the same policy since we read it would make this version number stale. */
async function lockPolicyAt(tx: Tx, policyId: string, expectedVersion: number): Promise<void> {
  const [policy] = await tx
    .select({ currentVersion: policies.currentVersion })
    .from(policies)
    .where(eq(policies.id, policyId))
    .for('update');
  if (policy?.currentVersion !== expectedVersion) {
    throw new ApiError(
      'conflict',
      'Another version of this policy was uploaded meanwhile; upload again to add yours after it.',
    );
  }
}

/** New policies count against the plan's policy limit (null: unlimited); serialized per organization. */
async function assertPolicyAllowed(env: Env, tx: Tx, orgId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`policies:${orgId}`}, 0))`);
  const plan = await subscriptionPlan(tx, orgId);
  if (plan.maxPolicies === null) return;
  const [row] = await tx.select({ used: count() }).from(policies);
  await assertWithinLimit(env, tx, plan, {
    orgId,
    name: 'policies',
    used: row?.used ?? 0,
    advice: 'upload a new version of an existing policy or upgrade the plan on the Subscription page.',
  });
}

async function insertClauses(
  tx: Tx,
  orgId: string,
  policyId: string,
  policyVersionId: string,
  clauses: Clause[],
  notEnforced: Map<string, string[]>,
): Promise<void> {
  if (clauses.length === 0) return;
  await tx.insert(policyClauses).values(
    clauses.map((clause, ordinal) => ({
      orgId,
      policyId,
      policyVersionId,
      clauseKey: clause.key,
      number: clause.number,
      heading: clause.heading ?? null,
      text: clause.text,
      spanStart: clause.start,
      spanEnd: clause.end,
      ordinal,
      notEnforced: notEnforced.get(clause.key) ?? [],
    })),
  );
}

/** Each draft becomes a rule (version 1, draft) citing the policy and clause; review decides whether it is ever evaluated. */
async function insertDrafts(
  tx: Tx,
  actor: Actor,
  policyId: string,
  policyVersionId: string,
  drafts: GroundedDraft<DraftRule>[],
): Promise<void> {
  const origins: (typeof policyRuleOrigins.$inferInsert)[] = [];
  for (const [ordinal, { draft, extracted, grounding }] of drafts.entries()) {
    const {
      source_text: sourceText,
      confidence,
      reason,
      clause_ref: clauseRef,
      assumptions,
      not_enforced: notEnforced,
      ...rule
    } = draft;
    const created = await createRule(
      tx,
      actor,
      { ...rule, policy_id: policyId, clause_ref: clauseRef },
      { sourceText, confidence },
    );
    origins.push({
      ruleId: created.id,
      orgId: actor.orgId,
      policyId,
      policyVersionId,
      clauseKey: clauseRef,
      reason,
      ordinal,
      assumptions,
      notEnforced,
      extracted,
      grounding,
    });
  }
  if (origins.length > 0) await tx.insert(policyRuleOrigins).values(origins);
}

/** The name as the uploader's system had it, without any path, control characters or quotes. */
function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  return (
    base
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters must not reach a Content-Disposition header
      .replace(/[\u0000-\u001f\u007f"]/g, '')
      .trim()
      .slice(0, 255) || 'policy'
  );
}
