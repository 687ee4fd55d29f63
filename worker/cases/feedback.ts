import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { ruleSnoozes, rules } from '../../db/schema';
import { type Tx, uuidLiteral } from '../../db/tenant';
import { type Actor, recordAudit } from '../platform/audit';
import { ApiError, notFound } from '../platform/errors';

async function assertRule(tx: Tx, ruleId: string): Promise<void> {
  const [rule] = await tx.select({ id: rules.id }).from(rules).where(eq(rules.id, ruleId));
  if (!rule) throw notFound('Rule');
}

type PerformanceRow = {
  version: number | null;
  hits: number;
  in_cases: number;
  confirmed: number;
  false_positive: number;
  inconclusive: number;
  median_hours_to_close: number | null;
};

/**
 * What closed cases say of a rule: its hits, those in cases, each outcome (counted per violation),
 * precision = confirmed / (confirmed + false positives), and the median hours from a case's
 * creation to its closing over the closed cases holding its violations; in all and per version.
 */
export async function rulePerformance(tx: Tx, ruleId: string) {
  await assertRule(tx, ruleId);
  const rule = uuidLiteral(ruleId);
  const rows = await tx.execute<PerformanceRow>(sql`
    with hits as (
      select v.rule_version, v.case_id, c.outcome, c.status,
        extract(epoch from c.closed_at - c.created_at) / 3600 as hours
      from violations v left join cases c on c.id = v.case_id
      where v.rule_id = ${rule} and v.status <> 'suppressed'),
    counted as (
      select rule_version as version, count(*)::int as hits, count(case_id)::int as in_cases,
        count(*) filter (where status = 'closed' and outcome = 'confirmed')::int as confirmed,
        count(*) filter (where status = 'closed' and outcome = 'false_positive')::int as false_positive,
        count(*) filter (where status = 'closed' and outcome = 'inconclusive')::int as inconclusive
      from hits group by grouping sets ((rule_version), ())),
    closed as (select distinct rule_version, case_id, hours from hits where status = 'closed'),
    medians as (
      select rule_version as version,
        percentile_cont(0.5) within group (order by hours)::float8 as median_hours_to_close
      from closed group by grouping sets ((rule_version), ()))
    select k.*, m.median_hours_to_close from counted k
    left join medians m on m.version is not distinct from k.version
    order by k.version nulls first`);
  const view = (row: PerformanceRow | undefined) => {
    const confirmed = row?.confirmed ?? 0;
    const falsePositive = row?.false_positive ?? 0;
    const median = row?.median_hours_to_close;
    return {
      hits: row?.hits ?? 0,
      in_cases: row?.in_cases ?? 0,
      confirmed,
      false_positive: falsePositive,
      inconclusive: row?.inconclusive ?? 0,
      precision: confirmed + falsePositive === 0 ? null : round(confirmed / (confirmed + falsePositive), 4),
      median_hours_to_close: median === null || median === undefined ? null : round(Number(median), 2),
    };
  };
  const total = rows.find((row) => row.version === null);
  return {
    ...view(total),
    by_version: rows
      .filter((row) => row.version !== null)
      .map((row) => ({ version: Number(row.version), ...view(row) })),
  };
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

type SnoozeRow = typeof ruleSnoozes.$inferSelect;

function toSnoozeView(row: SnoozeRow, now = Date.now()) {
  return {
    id: row.id,
    rule_id: row.ruleId,
    account: row.account,
    until: row.until.toISOString(),
    reason: row.reason,
    active: row.endedAt === null && row.until.getTime() > now,
    created_by: row.createdBy,
    created_at: row.createdAt.toISOString(),
    ended_at: row.endedAt?.toISOString() ?? null,
  };
}

export async function createSnooze(
  tx: Tx,
  actor: Actor,
  ruleId: string,
  input: { account: string; until: string; reason: string },
) {
  await assertRule(tx, ruleId);
  const until = new Date(input.until);
  if (until.getTime() <= Date.now())
    throw new ApiError('validation_failed', 'The request has invalid fields.', {
      errors: [{ path: 'until', message: 'Must be in the future.' }],
    });
  const [row] = await tx
    .insert(ruleSnoozes)
    .values({
      orgId: actor.orgId,
      ruleId,
      account: input.account,
      until,
      reason: input.reason,
      createdBy: actor.userId,
    })
    .returning();
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: 'rule.snoozed',
    targetType: 'rule',
    targetId: ruleId,
    details: { snooze_id: row!.id, account: input.account, until: until.toISOString(), reason: input.reason },
  });
  return toSnoozeView(row!);
}

export async function listSnoozes(tx: Tx, ruleId: string) {
  await assertRule(tx, ruleId);
  const rows = await tx
    .select()
    .from(ruleSnoozes)
    .where(eq(ruleSnoozes.ruleId, ruleId))
    .orderBy(desc(ruleSnoozes.createdAt));
  const now = Date.now();
  return rows.map((row) => toSnoozeView(row, now));
}

/** Ends a snooze now; the rule's new violations for that account open cases again. */
export async function endSnooze(tx: Tx, actor: Actor, ruleId: string, snoozeId: string): Promise<void> {
  const [row] = await tx
    .update(ruleSnoozes)
    .set({ endedAt: sql`now()` })
    .where(and(eq(ruleSnoozes.id, snoozeId), eq(ruleSnoozes.ruleId, ruleId), isNull(ruleSnoozes.endedAt)))
    .returning();
  if (!row) throw notFound('Snooze');
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: 'rule.snooze_ended',
    targetType: 'rule',
    targetId: ruleId,
    details: { snooze_id: snoozeId, account: row.account },
  });
}
