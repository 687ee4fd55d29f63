import { z } from '@hono/zod-openapi';

// Postgres refuses offsets beyond 15:59, so a value it cannot cast is never accepted.
export const MAX_OFFSET_HOURS = 15;

/** Fixed positions: `YYYY-MM-DDThh:mm:ss`, then optional fraction, then `Z` or `+hh:mm` at the end. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/**
 * RFC 3339 with an explicit offset (`Z` or `+hh:mm`), with every component in range, and an
 * offset Postgres can store: one row it cannot cast would fail its whole batch.
 */
export function isRfc3339WithOffset(text: string): boolean {
  // The components are read at their fixed positions: regex captures cost more than the rest of the check.
  if (!RFC3339.test(text)) return false;
  const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  if (year < 1 || !validDate(year, month, day)) return false;
  if (twoDigits(text, 11) > 23 || twoDigits(text, 14) > 59 || twoDigits(text, 17) > 59) return false;
  const end = text.length;
  if (text[end - 1] === 'Z' || text[end - 1] === 'z') return true;
  return twoDigits(text, end - 5) <= MAX_OFFSET_HOURS && twoDigits(text, end - 2) <= 59;
}

/** The number written by the two ASCII digits at `at` (the pattern has already matched them). */
const twoDigits = (text: string, at: number) => (text.charCodeAt(at) - 48) * 10 + (text.charCodeAt(at + 1) - 48);

/** An instant in a request (filters, ranges): the same check as a transaction's occurred_at. */
export const instant = z
  .string()
  .refine(isRfc3339WithOffset, 'must be an RFC 3339 timestamp with an offset, e.g. 2026-03-01T09:30:00Z');

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A day of the (proleptic) Gregorian calendar, computed without a Date: this runs once per ingested row. */
export function validDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}

/** A UTC instant as RFC 3339, without fractional seconds when they are zero. */
export function formatInstant(isoMicros: string): string {
  return isoMicros.replace(/\.(\d*?)0*Z$/, (_, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}
