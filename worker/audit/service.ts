import { z } from '@hono/zod-openapi';
import { and, asc, desc, eq, gt, gte, lt, lte, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { auditLog } from '../../db/schema';
import { type Tx, withTenant } from '../../db/tenant';
import { notFound } from '../platform/errors';
import { decodeCursor, type Page, toPage } from '../platform/pagination';
import type { AuditEntryView, AuditQuery, ChainBreak, ChainVerdict } from './schemas';

type AuditRow = typeof auditLog.$inferSelect;
type NamedRow = { entry: AuditRow; actorName: string | null; targetName: string | null };

/** Who acted, by name (the id stays on the entry). Columns are qualified: inside a subquery drizzle would print them bare. */
const actorName = sql<string | null>`(select u.full_name from users u where u.id = audit_log.actor_id)`;

/** What was acted on, by the name a person knows it by; null for kinds without one, or once deleted. */
const targetName = sql<string | null>`case audit_log.target_type
  when 'user' then (select u.full_name from users u where u.id::text = audit_log.target_id)
  when 'rule' then (select rv.name from rule_versions rv where rv.rule_id::text = audit_log.target_id order by rv.version desc limit 1)
  when 'policy' then (select p.name from policies p where p.id::text = audit_log.target_id)
  when 'source' then (select s.name from ingest_sources s where s.id::text = audit_log.target_id)
  when 'alert_channel' then (select ch.name from alert_channels ch where ch.id::text = audit_log.target_id)
  when 'organization' then (select o.name from organizations o where o.id::text = audit_log.target_id)
  when 'violation' then (
    select rv.name || ' on ' || t.external_id from violations v
    join rule_versions rv on rv.id = v.rule_version_id
    join transactions t on t.id = v.transaction_id
    where v.id::text = audit_log.target_id)
end`;

const selection = { entry: auditLog, actorName, targetName };

function toAuditView({ entry: row, actorName, targetName }: NamedRow): AuditEntryView {
  return {
    id: row.id,
    seq: row.seq,
    actor_id: row.actorId,
    actor_name: actorName,
    action: row.action,
    target_type: row.targetType,
    target_id: row.targetId,
    target_name: targetName,
    ip: row.ip,
    user_agent: row.userAgent,
    details: row.details as Record<string, unknown>,
    created_at: row.createdAt.toISOString(),
    prev_hash: row.prevHash,
    hash: row.hash,
  };
}

function auditConditions(orgId: string, query: Omit<AuditQuery, 'limit' | 'cursor'>) {
  return [
    eq(auditLog.orgId, orgId),
    query.action === undefined ? undefined : eq(auditLog.action, query.action),
    query.actor_id === undefined ? undefined : eq(auditLog.actorId, query.actor_id),
    query.target_type === undefined ? undefined : eq(auditLog.targetType, query.target_type),
    query.target_id === undefined ? undefined : eq(auditLog.targetId, query.target_id),
    query.from === undefined ? undefined : gte(auditLog.createdAt, new Date(query.from)),
    query.to === undefined ? undefined : lte(auditLog.createdAt, new Date(query.to)),
  ];
}

/** Newest first; the cursor is the last sequence number seen. */
export async function listAudit(db: Database, orgId: string, query: AuditQuery): Promise<Page<AuditEntryView>> {
  const beforeSeq = decodeCursor(query.cursor, z.tuple([z.number().int()]))?.[0];
  const rows = await withTenant(db, orgId, (tx) =>
    tx
      .select(selection)
      .from(auditLog)
      .where(and(...auditConditions(orgId, query), beforeSeq === undefined ? undefined : lt(auditLog.seq, beforeSeq)))
      .orderBy(desc(auditLog.seq))
      .limit(query.limit + 1),
  );
  return toPage(rows, query.limit, toAuditView, (row) => [row.entry.seq]);
}

export const AUDIT_EXPORT_LIMIT = 10_000;

/** The filtered trail, newest first, up to `AUDIT_EXPORT_LIMIT` entries (one more says there are more). */
export async function auditForExport(db: Database, orgId: string, query: Omit<AuditQuery, 'limit' | 'cursor'>) {
  const rows = await withTenant(db, orgId, (tx) =>
    tx
      .select(selection)
      .from(auditLog)
      .where(and(...auditConditions(orgId, query)))
      .orderBy(desc(auditLog.seq))
      .limit(AUDIT_EXPORT_LIMIT + 1),
  );
  return { items: rows.slice(0, AUDIT_EXPORT_LIMIT).map(toAuditView), truncated: rows.length > AUDIT_EXPORT_LIMIT };
}

/** A page of the entries created in [from, to] after sequence `afterSeq`, oldest first (report exports). */
export async function auditExportPage(tx: Tx, from: Date, to: Date, afterSeq: number, limit: number) {
  const rows = await tx
    .select(selection)
    .from(auditLog)
    .where(and(gte(auditLog.createdAt, from), lte(auditLog.createdAt, to), gt(auditLog.seq, afterSeq)))
    .orderBy(asc(auditLog.seq))
    .limit(limit);
  return rows.map(toAuditView);
}

export const AUDIT_EXPORT_HEADER = [
  'seq',
  'created_at',
  'action',
  'actor_id',
  'actor_name',
  'target_type',
  'target_id',
  'target_name',
  'ip',
  'user_agent',
  'details',
  'prev_hash',
  'hash',
] as const;

export function auditExportRow(e: AuditEntryView): (string | number | null)[] {
  return [
    e.seq,
    e.created_at,
    e.action,
    e.actor_id,
    e.actor_name,
    e.target_type,
    e.target_id,
    e.target_name,
    e.ip,
    e.user_agent,
    JSON.stringify(e.details),
    e.prev_hash,
    e.hash,
  ];
}

export async function getAuditEntry(db: Database, orgId: string, id: string): Promise<AuditEntryView> {
  const [row] = await withTenant(db, orgId, (tx) =>
    tx.select(selection).from(auditLog).where(eq(auditLog.id, id)).limit(1),
  );
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
