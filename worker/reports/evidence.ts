import { sql } from 'drizzle-orm';
import { strToU8, zipSync } from 'fflate';
import { organizations } from '../../db/schema';
import type { Tx } from '../../db/tenant';
import { getCase, listCaseEvents } from '../cases/service';
import { type Actor, recordAudit } from '../platform/audit';
import { sha256Hex } from '../policies/storage';
import { PdfReport } from './pdf';
import { durationText } from './summary';

/**
 * The audit entry fields hashed into the chain, as `audit_canonical` (db/security.sql) joins them:
 * org_id|seq|actor_id|action|target_type|target_id|ip|user_agent|created_at|details, each null as
 * ''. `created_at` is kept to the microsecond and `details_text` is the stored JSON's own text, so
 * that `hash = sha256(prev_hash || canonical)` can be recomputed outside the database.
 */
export type AuditEvidence = {
  id: string;
  seq: number;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  created_at: string;
  details: unknown;
  details_text: string;
  prev_hash: string;
  hash: string;
};

/** The bytes of each file of the pack but the manifest, by path. */
type PackFiles = Record<string, Uint8Array>;

const json = (value: unknown) => strToU8(`${JSON.stringify(value, null, 2)}\n`);

/**
 * A case's evidence pack (contract section 14): what the case is, its violations, the
 * transactions they were raised on, the rule versions that raised them with their clause
 * citations, the case's audit entries with their chain hashes, a summary PDF, and a manifest of
 * every file's SHA-256. The export itself is audited first, so the pack carries its own entry.
 */
export async function evidencePack(
  tx: Tx,
  actor: Actor,
  caseId: string,
): Promise<{ fileName: string; zip: Uint8Array }> {
  const detail = await getCase(tx, caseId);
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: 'case.evidence_exported',
    targetType: 'case',
    targetId: caseId,
    details: { number: detail.number },
  });
  const [org] = await tx.select({ id: organizations.id, name: organizations.name }).from(organizations);
  const generatedAt = new Date();
  const violations = await caseViolations(tx, caseId);
  const transactions = await caseTransactions(tx, caseId);
  const rules = await caseRuleVersions(tx, caseId);
  const audit = await caseAuditEntries(
    tx,
    caseId,
    violations.map((v) => v.id as string),
  );
  const history = await listCaseEvents(tx, caseId);
  const { violations: _shown, ...caseView } = detail;

  const files: PackFiles = {
    'case.json': json({ organization: org, generated_at: generatedAt.toISOString(), case: caseView, history }),
    'violations.json': json(violations),
    'transactions.json': json(transactions),
    'rules.json': json(rules),
    'audit.json': json({ org_id: actor.orgId, entries: audit }),
  };
  const hashes = await hashAll(files);
  files['summary.pdf'] = await caseSummaryPdf({
    organization: org?.name ?? '',
    generatedAt,
    caseView,
    violations,
    history,
    hashes,
  });
  const manifest = {
    case_id: caseId,
    case_number: detail.number,
    organization_id: actor.orgId,
    generated_at: generatedAt.toISOString(),
    algorithm: 'sha256',
    files: Object.entries(await hashAll(files)).map(([path, sha256]) => ({ path, sha256, size: files[path]!.length })),
  };
  // Stored, not deflated: the JSON is small next to the PDF, and a byte changed in a stored file stays that byte.
  const zip = zipSync({ 'manifest.json': json(manifest), ...files }, { level: 0, mtime: generatedAt });
  return { fileName: `case-${detail.number}-evidence.zip`, zip };
}

async function hashAll(files: PackFiles): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.entries(files).map(
      async ([path, bytes]) => [path, await sha256Hex(bytes as Uint8Array<ArrayBuffer>)] as const,
    ),
  );
  return Object.fromEntries(entries);
}

async function caseViolations(tx: Tx, caseId: string) {
  return tx.execute<Record<string, unknown>>(sql`
    select v.id, v.rule_id, v.rule_version_id, v.rule_version, rv.name as rule_name, v.policy_id, v.clause_ref,
      t.external_id as transaction_id, t.account, v.severity, v.risk_score::float8 as risk_score, v.explanation,
      v.evidence, v.status, v.scan_id, v.detected_at
    from violations v
    join transactions t on t.id = v.transaction_id
    join rule_versions rv on rv.id = v.rule_version_id
    where v.case_id = ${caseId}
    order by v.detected_at, v.id`);
}

async function caseTransactions(tx: Tx, caseId: string) {
  return tx.execute<Record<string, unknown>>(sql`
    select t.external_id as id, t.occurred_at, t.amount::text as amount, t.currency, t.account, t.counterparty, t.type,
      t.country, t.counterparty_country, t.channel, t.attributes, t.ingested_at
    from transactions t
    where t.id in (select v.transaction_id from violations v where v.case_id = ${caseId})
    order by t.occurred_at, t.id`);
}

/** Each rule version that raised one of the case's violations, as it was in force then. */
async function caseRuleVersions(tx: Tx, caseId: string) {
  return tx.execute<Record<string, unknown>>(sql`
    select rv.id as rule_version_id, rv.rule_id, rv.version, rv.name, rv.description, rv.severity, rv.condition,
      rv.status, rv.policy_id, p.name as policy_name, rv.clause_ref, rv.source_text, rv.created_at,
      rv.decided_at, rv.decided_by, u.full_name as decided_by_name
    from rule_versions rv
    left join policies p on p.id = rv.policy_id
    left join users u on u.id = rv.decided_by
    where rv.id in (select v.rule_version_id from violations v where v.case_id = ${caseId})
    order by rv.name, rv.version`);
}

/** The audit entries about the case or one of its violations, in chain order, with what their hashes cover. */
async function caseAuditEntries(tx: Tx, caseId: string, violationIds: string[]): Promise<AuditEvidence[]> {
  const rows = await tx.execute<AuditEvidence & { seq: string }>(sql`
    select a.id, a.seq::text as seq, a.actor_id, a.action, a.target_type, a.target_id, a.ip, a.user_agent,
      to_char(a.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at,
      a.details, a.details::text as details_text, a.prev_hash, a.hash
    from audit_log a
    where (a.target_type = 'case' and a.target_id = ${caseId})
      or (a.target_type = 'violation' and a.target_id = any(${`{${violationIds.join(',')}}`}::text[]))
    order by a.seq`);
  return rows.map((row) => ({ ...row, seq: Number(row.seq) }));
}

type Summary = {
  organization: string;
  generatedAt: Date;
  caseView: Omit<Awaited<ReturnType<typeof getCase>>, 'violations'>;
  violations: Record<string, unknown>[];
  history: Awaited<ReturnType<typeof listCaseEvents>>;
  hashes: Record<string, string>;
};

async function caseSummaryPdf({ organization, generatedAt, caseView: c, violations, history, hashes }: Summary) {
  const pdf = await PdfReport.create(`Case ${c.number} evidence`, { organization, generatedAt });
  pdf.title(`Case ${c.number}: ${c.title}`, `${organization} · evidence pack`);
  const hoursOpen = c.closed_at ? (Date.parse(c.closed_at) - Date.parse(c.created_at)) / 3_600_000 : null;
  pdf.figures([
    { label: 'Status', value: c.status },
    { label: 'Priority', value: c.priority },
    { label: 'Outcome', value: c.outcome ?? '—' },
    { label: 'Violations', value: String(c.violation_count) },
    { label: 'Time to close', value: durationText(hoursOpen) },
  ]);
  pdf.table(
    [
      { heading: 'Field', width: 0.3 },
      { heading: 'Value', width: 0.7 },
    ],
    [
      ['Account', c.account ?? '—'],
      ['Assignee', c.assignee?.full_name ?? 'Unassigned'],
      ['Opened', c.created_at],
      ['Due', c.due_at],
      ['Escalated', c.escalated ? 'yes' : 'no'],
      ['Closed', c.closed_at ?? '—'],
      ['Reason for closing', c.close_reason ?? '—'],
    ],
  );
  pdf.heading('Violations');
  pdf.table(
    [
      { heading: 'Detected', width: 0.2 },
      { heading: 'Rule', width: 0.3 },
      { heading: 'Clause', width: 0.14 },
      { heading: 'Transaction', width: 0.16 },
      { heading: 'Severity', width: 0.1 },
      { heading: 'Risk', width: 0.1, align: 'right' },
    ],
    violations.map((v) => [
      new Date(v.detected_at as string).toISOString().slice(0, 16).replace('T', ' '),
      `${v.rule_name as string} v${v.rule_version as number}`,
      (v.clause_ref as string | null) ?? '—',
      v.transaction_id as string,
      v.severity as string,
      Number(v.risk_score).toFixed(2),
    ]),
  );
  for (const v of violations.slice(0, 20)) pdf.paragraph(`• ${v.explanation as string}`, 8.5);
  pdf.heading('History');
  pdf.table(
    [
      { heading: 'When (UTC)', width: 0.22 },
      { heading: 'What', width: 0.2 },
      { heading: 'Who', width: 0.22 },
      { heading: 'Details', width: 0.36 },
    ],
    history.map((e) => [
      e.at.slice(0, 19).replace('T', ' '),
      e.type,
      e.actor?.full_name ?? 'NitiLens',
      Object.entries(e.data)
        .map(([k, value]) => `${k}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
        .join('; '),
    ]),
  );
  pdf.heading('Contents of this pack');
  pdf.paragraph(
    'manifest.json lists the SHA-256 of every file, this one included; `npm run verify-evidence -- <pack.zip>` checks them and the audit chain.',
    8.5,
  );
  pdf.table(
    [
      { heading: 'File', width: 0.2 },
      { heading: 'SHA-256', width: 0.8 },
    ],
    Object.entries(hashes).map(([path, hash]) => [path, hash]),
  );
  return pdf.finish();
}
