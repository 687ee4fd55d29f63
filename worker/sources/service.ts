import { desc, eq, getTableColumns, sql } from 'drizzle-orm';
import { ingestSources } from '../../db/schema';
import type { Tx } from '../../db/tenant';
import { enterTenant, uuidLiteral } from '../../db/tenant';
import { usagePeriod } from '../../durable-objects/usage-counter';
import { type Actor, recordAudit } from '../platform/audit';
import { notFound } from '../platform/errors';
import { olderThan } from '../platform/keyset';
import { planAllowance } from '../transactions/metering';
import type { SourceMapping } from './mapping';
import { decryptSecret, encryptSecret, generateSigningSecret, type SecretKeys } from './secrets';

type SourceRow = typeof ingestSources.$inferSelect;

/** How long a replaced signing secret keeps verifying after a rotation. */
const PREVIOUS_SECRET_HOURS = 24;

/** Creates a source; its signing secret is returned this once. */
export async function createSource(
  tx: Tx,
  actor: Actor,
  input: { name: string; mapping: SourceMapping; secretKey: SecretKeys },
) {
  const id = crypto.randomUUID();
  const secret = generateSigningSecret();
  const [row] = await tx
    .insert(ingestSources)
    .values({
      id,
      orgId: actor.orgId,
      name: input.name,
      mapping: input.mapping,
      createdBy: actor.userId,
      secretCiphertext: await encryptSecret(input.secretKey, id, secret),
    })
    .returning();
  await audit(tx, actor, 'source.created', row!.id, { name: input.name });
  return { row: row!, secret };
}

export async function findSource(tx: Tx, id: string): Promise<SourceRow> {
  const [row] = await tx.select().from(ingestSources).where(eq(ingestSources.id, id)).limit(1);
  if (!row) throw notFound('Source');
  return row;
}

/** Newest first; `createdAtKey` is created_at at full (microsecond) precision, for the cursor. */
export async function listSources(tx: Tx, cursor: string | undefined, limit: number) {
  return tx
    .select({ ...getTableColumns(ingestSources), createdAtKey: sql<string>`${ingestSources.createdAt}::text` })
    .from(ingestSources)
    .where(olderThan(ingestSources.createdAt, ingestSources.id, cursor))
    .orderBy(desc(ingestSources.createdAt), desc(ingestSources.id))
    .limit(limit + 1);
}

export async function updateSource(
  tx: Tx,
  actor: Actor,
  id: string,
  changes: { name?: string | undefined; mapping?: SourceMapping | undefined; is_active?: boolean | undefined },
): Promise<SourceRow> {
  await findSource(tx, id);
  const [row] = await tx
    .update(ingestSources)
    .set({
      ...(changes.name === undefined ? {} : { name: changes.name }),
      ...(changes.mapping === undefined ? {} : { mapping: changes.mapping }),
      ...(changes.is_active === undefined ? {} : { isActive: changes.is_active }),
      updatedAt: sql`now()`,
    })
    .where(eq(ingestSources.id, id))
    .returning();
  await audit(tx, actor, 'source.updated', row!.id, { changed: Object.keys(changes) });
  return row!;
}

/** Deleting a source destroys its secrets; its transactions stay, with no source. */
export async function deleteSource(tx: Tx, actor: Actor, id: string): Promise<void> {
  const row = await findSource(tx, id);
  await tx.delete(ingestSources).where(eq(ingestSources.id, id));
  await audit(tx, actor, 'source.deleted', row.id, { name: row.name });
}

/** A new current secret; the one it replaces keeps verifying for 24 hours. */
export async function rotateSecret(
  tx: Tx,
  actor: Actor,
  id: string,
  key: SecretKeys,
): Promise<{ row: SourceRow; secret: string }> {
  const current = await findSource(tx, id);
  const secret = generateSigningSecret();
  const [row] = await tx
    .update(ingestSources)
    .set({
      secretCiphertext: await encryptSecret(key, id, secret),
      previousSecretCiphertext: current.secretCiphertext,
      previousSecretExpiresAt: sql`now() + make_interval(hours => ${PREVIOUS_SECRET_HOURS})`,
      updatedAt: sql`now()`,
    })
    .where(eq(ingestSources.id, id))
    .returning();
  await audit(tx, actor, 'source.secret_rotated', row!.id, {
    previous_secret_expires_at: row!.previousSecretExpiresAt?.toISOString(),
  });
  return { row: row!, secret };
}

async function audit(tx: Tx, actor: Actor, action: string, sourceId: string, details: Record<string, unknown>) {
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action,
    targetType: 'source',
    targetId: sourceId,
    details,
  });
}

/**
 * For the webhook, as the `find` of withTenantFoundBy (the system role, before the organization is
 * known): the source, its organization's plan and the secrets that verify today. Reading the
 * source enters its organization's tenant context.
 */
export async function sourceForPush(tx: Tx, key: SecretKeys, id: string, now = new Date()) {
  // Two statements sent at once: neither binds a parameter (see uuidLiteral), so postgres.js
  // pipelines them. In whichever order they run, the plan's reads the same rows: as the system
  // role, or in the tenant context of the source's organization.
  const period = usagePeriod(now);
  const [[row], allowance] = await Promise.all([
    tx
      .select({
        ...getTableColumns(ingestSources),
        // The month's count as Postgres holds it, for the OrgHub's first use this month (RecordedUsage).
        // Written out: drizzle leaves the columns of a one-table select unqualified. The period is our own YYYY-MM.
        recordedUsage: sql<string | null>`(select u.transactions from usage u
        where u.org_id = ingest_sources.org_id and u.period = ${sql.raw(`'${period}'`)})`,
        tenant: enterTenant(ingestSources.orgId),
      })
      .from(ingestSources)
      .where(sql`${ingestSources.id} = ${uuidLiteral(id)}`),
    planAllowance(
      tx,
      sql`(select ${ingestSources.orgId} from ${ingestSources} where ${ingestSources.id} = ${uuidLiteral(id)})`,
    ),
  ]);
  if (!row?.isActive) return undefined;
  const secrets = [await decryptSecret(key, row.id, row.secretCiphertext)];
  if (row.previousSecretCiphertext && row.previousSecretExpiresAt && row.previousSecretExpiresAt > now) {
    secrets.push(await decryptSecret(key, row.id, row.previousSecretCiphertext));
  }
  return { row, secrets, allowance, recorded: { period, used: Number(row.recordedUsage ?? 0) } };
}

export function toSourceView(row: SourceRow) {
  return {
    id: row.id,
    name: row.name,
    mapping: row.mapping as SourceMapping,
    is_active: row.isActive,
    webhook_path: `/api/ingest/${row.id}`,
    previous_secret_expires_at:
      row.previousSecretExpiresAt && row.previousSecretExpiresAt > new Date()
        ? row.previousSecretExpiresAt.toISOString()
        : null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
