import { sql } from 'drizzle-orm';
import { type Tx, uuidArray, uuidLiteral } from '../../db/tenant';
import { type ProductEvent, type RouteRow, raiseEvents, routesFor, violationCreatedEvents } from '../alerts/events';
import type { Env } from '../env';
import { CHANGED_STATUS, statusCounters } from '../overview/counters';
import type { RaisedViolation } from '../rules/engine';
import { SEVERITIES, type Severity } from '../rules/language';
import {
  type CaseFollowUp,
  type CaseSettings,
  DEFAULT_CASE_SETTINGS,
  mergeFollowUps,
  NO_FOLLOW_UP,
  openAutomaticCases,
} from './service';

type SettingsJson = {
  auto_create_min_severity: Severity | null;
  group_by: 'account' | 'none';
  auto_assign: boolean;
  sla_critical_minutes: number;
  sla_high_minutes: number;
  sla_medium_minutes: number;
  sla_low_minutes: number;
};

/**
 * What follows the storing of violations (scan chunks and webhook pushes), in one transaction: a
 * snoozed rule's violations for the snoozed account become `suppressed`; the others raise
 * `violation.created` and open or join automatic cases, which raise `case.created`. Each batch
 * opens its cases in turn, as if stored by a transaction of its own (a scan chunk passes one per
 * evaluation unit, so its cases are those of its units run one after the other); the
 * organization's cases lock is taken once for all of them. Marks suppressed violations. Returns
 * what to do after the commit.
 */
export async function takeNewViolations(
  env: Env,
  tx: Tx,
  orgId: string,
  batches: RaisedViolation[][],
): Promise<CaseFollowUp> {
  const freshBatches = batches.map((batch) => batch.filter((v) => v.isNew && v.id !== null));
  const fresh = freshBatches.flat();
  if (fresh.length === 0) return NO_FOLLOW_UP;
  const input = fresh.map((v) => ({ id: v.id, rule_id: v.ruleId, account: v.account, severity: v.severity }));
  const org = uuidLiteral(orgId);
  // One round trip: snoozes applied, the settings and the alert routes read, and the organization's
  // cases lock taken when a violation that is not suppressed reaches the settings' severity (the
  // accounts' open cases are read after it, in openAutomaticCases).
  const [row] = await tx.execute<{
    suppressed: string[] | null;
    settings: SettingsJson | null;
    routes: RouteRow[];
  }>(sql`
    with suppressed as (
      update violations v set status = 'suppressed'
      -- the snoozed ones with the status they leave, read under their lock (the overview's counters)
      from (select o.id, o.status
            from violations o join jsonb_to_recordset(${JSON.stringify(input)}::jsonb) as i(id uuid, rule_id uuid, account text, severity text)
              on o.id = i.id
            where o.id = any(${uuidArray(fresh.map((v) => v.id!))}) and exists (select 1 from rule_snoozes s
              where s.rule_id = i.rule_id and s.account = i.account and s.ended_at is null and s.until > now())
            for update of o) old
      where v.id = old.id
      returning ${CHANGED_STATUS}),
    changed as (select * from suppressed where from_status <> to_status)
    ${statusCounters()},
    settings as (select * from case_settings s where s.org_id = ${org}),
    minimum as (
      select case when exists (select 1 from settings) then (select auto_create_min_severity from settings)
        else ${DEFAULT_CASE_SETTINGS.auto_create_min_severity} end as severity),
    locked as (
      select pg_advisory_xact_lock(hashtextextended('cases:' || ${org}, 0))
      from minimum m
      where m.severity is not null and exists (
        select 1 from jsonb_to_recordset(${JSON.stringify(input)}::jsonb) as i(id uuid, severity text)
        where i.id not in (select id from suppressed)
          and array_position(${SEVERITY_ORDER}, i.severity) >= array_position(${SEVERITY_ORDER}, m.severity)))
    select (select json_agg(id) from suppressed) as suppressed,
      (select row_to_json(s) from settings s) as settings,
      ${routesFor(RAISED)} as routes,
      (select count(*) from locked) as locked`);
  const suppressed = new Set(row?.suppressed ?? []);
  for (const v of fresh) if (suppressed.has(v.id!)) v.suppressed = true;
  const settings = settingsFrom(row?.settings ?? null);
  const events: ProductEvent[] = [];
  const followUps: CaseFollowUp[] = [];
  for (const batch of freshBatches) {
    const announced = batch.filter((v) => !v.suppressed);
    // In turn: each batch reads the case numbers and open cases the previous one left.
    const opened = await openAutomaticCases(tx, orgId, settings, announced.map(caseViolationOf));
    events.push(...violationCreatedEvents(announced), ...opened.events);
    followUps.push(opened.followUp);
  }
  await raiseEvents(env, tx, orgId, events, row?.routes);
  return mergeFollowUps(followUps);
}

const caseViolationOf = (v: RaisedViolation) => ({
  id: v.id!,
  severity: v.severity,
  account: v.account,
  ruleName: v.ruleName,
  ruleId: v.ruleId,
});

/** The events raised here: new violations, and the cases they open (and their assignment). */
const RAISED = ['violation.created', 'case.created', 'case.assigned'] as const;

const SEVERITY_ORDER = sql.raw(`'{${SEVERITIES.join(',')}}'::text[]`);

function settingsFrom(row: SettingsJson | null): CaseSettings {
  if (!row) return DEFAULT_CASE_SETTINGS;
  return {
    auto_create_min_severity: row.auto_create_min_severity,
    group_by: row.group_by,
    auto_assign: row.auto_assign,
    sla_minutes: {
      critical: row.sla_critical_minutes,
      high: row.sla_high_minutes,
      medium: row.sla_medium_minutes,
      low: row.sla_low_minutes,
    },
  };
}
