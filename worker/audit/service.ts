import { and, desc, eq, gte, lt, lte, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { auditLog } from '../../db/schema';
import { withTenant } from '../../db/tenant';
import { notFound } from '../platform/errors';
import { type Page, toPage } from '../platform/pagination';
import type { AuditEntryView, AuditQuery, ChainBreak, ChainVerdict } from './schemas';

type AuditRow = typeof auditLog.$inferSelect;

function toAuditView(row: AuditRow): AuditEntryView {
  return {
    id: row.id,
    seq: row.seq,
    actor_id: row.actorId,
    action: row.action,
    target_type: row.targetType,
    target_id: row.targetId,
    ip: row.ip,
    user_agent: row.userAgent,
    details: row.details as Record<string, unknown>,
    created_at: row.createdAt.toISOString(),
    prev_hash: row.prevHash,
    hash: row.hash,
  };
}

/** Newest first; the cursor is the last sequence number seen. */
export async function listAudit(
  db: Database,
  orgId: string,
  query: AuditQuery,
  beforeSeq: number | undefined,
): Promise<Page<AuditEntryView>> {
  const rows = await withTenant(db, orgId, (tx) =>
    tx
      .select()
      .from(auditLog)
      .where(
        and(
          eq(auditLog.orgId, orgId),
          beforeSeq === undefined ? undefined : lt(auditLog.seq, beforeSeq),
          query.action === undefined ? undefined : eq(auditLog.action, query.action),
          query.actor_id === undefined ? undefined : eq(auditLog.actorId, query.actor_id),
          query.target_type === undefined ? undefined : eq(auditLog.targetType, query.target_type),
          query.target_id === undefined ? undefined : eq(auditLog.targetId, query.target_id),
          query.from === undefined ? undefined : gte(auditLog.createdAt, new Date(query.from)),
          query.to === undefined ? undefined : lte(auditLog.createdAt, new Date(query.to)),
        ),
      )
      .orderBy(desc(auditLog.seq))
      .limit(query.limit + 1),
  );
  return toPage(rows, query.limit, toAuditView, (row) => [row.seq]);
}

export async function getAuditEntry(db: Database, orgId: string, id: string): Promise<AuditEntryView> {
  const [row] = await withTenant(db, orgId, (tx) => tx.select().from(auditLog).where(eq(auditLog.id, id)).limit(1));
  if (!row) throw notFound('Audit entry');
  return toAuditView(row);
}

type ChainCheck = { rows: number; id: string | null; seq: string | null; reason: ChainBreak | null };

/**
 * Recomputes the organization's chain in the database, in sequence order: each row must follow
 * the previous one (no gap), link to its stored hash, and hash to what `audit_digest` gives now.
 */
export async function verifyAuditChain(db: Database, orgId: string): Promise<ChainVerdict> {
  const [check] = await withTenant(db, orgId, (tx) =>
    tx.execute<ChainCheck>(sql`
    with chain as (
      select a.id, a.seq,
        case
          when a.seq <> coalesce(lag(a.seq) over w, 0) + 1 then 'sequence_gap'
          when a.prev_hash <> coalesce(lag(a.hash) over w, '') then 'prev_hash_mismatch'
          when a.hash <> audit_digest(a.prev_hash, a) then 'hash_mismatch'
        end as reason
      from audit_log a
      where a.org_id = ${orgId}
      window w as (order by a.seq)
    )
    select (select count(*) from chain)::int as rows, broken.id, broken.seq::text as seq, broken.reason
    from (select 1) as one
    left join lateral (select id, seq, reason from chain where reason is not null order by seq limit 1) as broken on true`),
  );
  const rows = check?.rows ?? 0;
  if (!check?.id || !check.seq || !check.reason) return { valid: true, rows };
  return { valid: false, rows, first_broken: { seq: Number(check.seq), id: check.id, reason: check.reason } };
}
