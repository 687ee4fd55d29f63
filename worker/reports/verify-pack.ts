import { strFromU8, unzipSync } from 'fflate';
import type { AuditEvidence } from './evidence';

/**
 * Checks a case's evidence pack (contract section 14) without the database: every file against
 * the manifest's SHA-256, and every audit entry against its chain hash. Runs in the Worker's tests
 * and in `npm run verify-evidence` alike (Web Crypto and fflate only).
 */
export type PackVerdict = { ok: boolean; checked: string[]; problems: string[] };

type ManifestFile = { path: string; sha256: string };

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Key order aside, the same JSON value. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a as object);
  if (keys.length !== Object.keys(b as object).length) return false;
  return keys.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export async function verifyEvidencePack(zip: Uint8Array): Promise<PackVerdict> {
  const problems: string[] = [];
  const checked: string[] = [];
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip);
  } catch (error) {
    return { ok: false, checked, problems: [`the file is not a readable ZIP: ${String(error)}`] };
  }
  const manifestBytes = files['manifest.json'];
  if (!manifestBytes) return { ok: false, checked, problems: ['manifest.json is missing'] };
  let manifest: { files?: ManifestFile[]; organization_id?: string };
  try {
    manifest = JSON.parse(strFromU8(manifestBytes));
  } catch {
    return { ok: false, checked, problems: ['manifest.json is not valid JSON'] };
  }
  const listed = manifest.files ?? [];
  for (const { path, sha256 } of listed) {
    const bytes = files[path];
    if (!bytes) {
      problems.push(`${path}: listed in the manifest but missing from the pack`);
      continue;
    }
    const actual = await sha256Hex(bytes);
    if (actual !== sha256) problems.push(`${path}: SHA-256 ${actual} does not match the manifest's ${sha256}`);
    else checked.push(path);
  }
  for (const path of Object.keys(files))
    if (path !== 'manifest.json' && !listed.some((f) => f.path === path))
      problems.push(`${path}: in the pack but not in the manifest`);
  const audit = files['audit.json'];
  if (audit) problems.push(...(await verifyAuditEntries(audit, manifest.organization_id)));
  return { ok: problems.length === 0, checked, problems };
}

/**
 * Each entry's hash is sha256(prev_hash || canonical row) as the database chains them; entries
 * with consecutive sequence numbers must link (the next one's prev_hash is this one's hash).
 */
async function verifyAuditEntries(bytes: Uint8Array, orgId: string | undefined): Promise<string[]> {
  const problems: string[] = [];
  let audit: { org_id: string; entries: AuditEvidence[] };
  try {
    audit = JSON.parse(strFromU8(bytes));
  } catch {
    return ['audit.json: not valid JSON'];
  }
  if (orgId && audit.org_id !== orgId) problems.push('audit.json: organization differs from the manifest');
  let previous: AuditEvidence | undefined;
  for (const e of audit.entries ?? []) {
    const canonical = [
      audit.org_id,
      e.seq,
      e.actor_id ?? '',
      e.action,
      e.target_type ?? '',
      e.target_id ?? '',
      e.ip ?? '',
      e.user_agent ?? '',
      e.created_at,
      e.details_text,
    ].join('|');
    const hash = await sha256Hex(new TextEncoder().encode(e.prev_hash + canonical));
    if (hash !== e.hash) problems.push(`audit.json: entry ${e.seq} (${e.action}) does not hash to its recorded hash`);
    let details: unknown;
    try {
      details = JSON.parse(e.details_text);
    } catch {
      details = undefined;
    }
    if (!sameJson(details, e.details)) problems.push(`audit.json: entry ${e.seq} details differ from the hashed text`);
    if (previous && e.seq === previous.seq + 1 && e.prev_hash !== previous.hash)
      problems.push(`audit.json: entry ${e.seq} does not link to entry ${previous.seq}`);
    previous = e;
  }
  return problems;
}
