import { z } from '@hono/zod-openapi';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { FieldError } from '../platform/errors';
import { CANONICAL_FIELDS } from '../rules/language/fields';
import { isObject, locate } from '../transactions/exact-json';
import { isTimestampFormat, isTimeZone, readTimestamp, TIMESTAMP_FORMAT_MESSAGE } from './zoned-time';

export { CANONICAL_FIELDS };

const ATTRIBUTE_TARGET = /^attributes\.[^.]{1,128}$/;
const isTarget = (key: string) => (CANONICAL_FIELDS as readonly string[]).includes(key) || ATTRIBUTE_TARGET.test(key);
const target = z
  .string()
  .refine(isTarget, 'must be a canonical field (id, occurred_at, amount, ...) or attributes.<key>');
const incomingPath = z.string().min(1).max(256);

/** How a source's records become canonical transactions (docs/ingestion.md explains each part). */
export const sourceMapping = z
  .strictObject({
    /** canonical field or `attributes.<key>` -> incoming dot path (a literal key with dots wins). */
    fields: z.record(target, incomingPath).optional(),
    /** canonical field -> incoming value -> canonical value, e.g. currency: {"US Dollar": "USD"}. */
    values: z.record(target, z.record(z.string(), z.union([z.string(), z.number()]))).optional(),
    /** canonical field -> the same value for every record, e.g. channel: "erp". */
    constants: z.record(target, z.union([z.string(), z.number(), z.boolean()])).optional(),
    timestamp: z
      .strictObject({
        format: z.string().min(1).max(64).refine(isTimestampFormat, TIMESTAMP_FORMAT_MESSAGE).optional(),
        time_zone: z.string().refine(isTimeZone, 'must be an IANA time zone such as UTC or Europe/Berlin').optional(),
      })
      .optional(),
    /** For exports without an id column: the id is the SHA-256 of the record's content, so re-sending is idempotent. */
    derive_id: z.boolean().optional(),
    /** Incoming keys no field mapping consumed: all to attributes (the default), none, or only those listed. */
    unmapped_to_attributes: z.union([z.enum(['all', 'none']), z.array(z.string().min(1).max(256)).max(64)]).optional(),
  })
  .refine((mapping) => !(mapping.derive_id && (mapping.fields?.id || mapping.constants?.id)), {
    message: 'derive_id cannot be combined with a mapped or constant id',
    path: ['derive_id'],
  })
  .openapi('SourceMapping');

export type SourceMapping = z.infer<typeof sourceMapping>;

type MappedRecord = { candidate: Record<string, unknown>; issues: FieldError[] };

/** Where the amount sits in incoming records, so JSON numbers there are read exactly. */
export function amountPath(mapping: SourceMapping): string {
  return mapping.fields?.amount ?? 'amount';
}

/** An incoming record as the canonical shape, still to be validated. */
export function applyMapping(record: Record<string, unknown>, mapping: SourceMapping): MappedRecord {
  const consumed = new Set<string>();
  const take = (path: string): unknown => {
    const found = locate(record, path);
    if (!found) return undefined;
    consumed.add(Object.hasOwn(record, path) ? path : path.split('.')[0]!);
    return found.holder[found.key];
  };
  const fields: Record<string, unknown> = {};
  for (const field of CANONICAL_FIELDS) fields[field] = take(mapping.fields?.[field] ?? field);
  const attributes = incomingAttributes(record, consumed);
  for (const [key, path] of Object.entries(mapping.fields ?? {})) {
    if (key.startsWith('attributes.')) attributes[key.slice('attributes.'.length)] = take(path);
  }
  const policy = mapping.unmapped_to_attributes ?? 'all';
  for (const key of Object.keys(record)) {
    if (consumed.has(key)) continue;
    if (key.startsWith('attributes.')) attributes[key.slice('attributes.'.length)] = record[key];
    else if (policy === 'all' || (Array.isArray(policy) && policy.includes(key))) attributes[key] = record[key];
  }

  const candidate: Record<string, unknown> = { ...fields, attributes };
  applyValueMaps(candidate, mapping.values ?? {});
  for (const [key, value] of Object.entries(mapping.constants ?? {})) setTarget(candidate, key, value);
  const issues: FieldError[] = [];
  if (mapping.timestamp && candidate.occurred_at != null) {
    const read = readTimestamp(candidate.occurred_at, mapping.timestamp);
    if ('error' in read) issues.push({ path: 'occurred_at', message: read.error });
    else candidate.occurred_at = read.value;
  }
  if (mapping.derive_id) candidate.id = contentId(record);
  return { candidate: withoutEmpty(candidate), issues };
}

function incomingAttributes(record: Record<string, unknown>, consumed: Set<string>): Record<string, unknown> {
  if (consumed.has('attributes') || !isObject(record.attributes)) return {};
  consumed.add('attributes');
  return { ...record.attributes };
}

function applyValueMaps(
  candidate: Record<string, unknown>,
  maps: Record<string, Record<string, string | number>>,
): void {
  for (const [key, map] of Object.entries(maps)) {
    const current = getTarget(candidate, key);
    if (current == null) continue;
    const incoming = String(current);
    if (Object.hasOwn(map, incoming)) setTarget(candidate, key, map[incoming]);
  }
}

function getTarget(candidate: Record<string, unknown>, key: string): unknown {
  return key.startsWith('attributes.')
    ? (candidate.attributes as Record<string, unknown>)[key.slice('attributes.'.length)]
    : candidate[key];
}

function setTarget(candidate: Record<string, unknown>, key: string, value: unknown): void {
  if (key.startsWith('attributes.'))
    (candidate.attributes as Record<string, unknown>)[key.slice('attributes.'.length)] = value;
  else candidate[key] = value;
}

/** Absent, null and empty-string values are all "not given" (CSV has no other way to say it). */
function withoutEmpty(candidate: Record<string, unknown>): Record<string, unknown> {
  const present = (value: unknown) => value !== undefined && value !== null && value !== '';
  const out = Object.fromEntries(
    Object.entries(candidate).filter(([key, value]) => key !== 'attributes' && present(value)),
  );
  const attributes = Object.fromEntries(
    Object.entries(candidate.attributes as Record<string, unknown>).filter(([, value]) => value !== undefined),
  );
  return Object.keys(attributes).length > 0 ? { ...out, attributes } : out;
}

/** A deterministic id from the record's content: the same line sent twice is the same transaction. */
function contentId(record: Record<string, unknown>): string {
  return bytesToHex(sha256(utf8ToBytes(JSON.stringify(record))));
}
