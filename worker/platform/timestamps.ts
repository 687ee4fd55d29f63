import { z } from '@hono/zod-openapi';
import { MAX_OFFSET_HOURS } from '../rules/language/instant';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * RFC 3339 with an explicit offset (`Z` or `+hh:mm`), with every component in range, and an
 * offset Postgres can store: one row it cannot cast would fail its whole batch.
 */
export function isRfc3339WithOffset(text: string): boolean {
  const match = RFC3339.exec(text);
  if (!match) return false;
  const [, year, month, day, hour, minute, second, , , , offsetHour, offsetMinute] = match.map(Number);
  return year! >= 1 && validDate(year!, month!, day!) && hour! <= 23 && minute! <= 59 && second! <= 59 &&
    (match[8]!.toUpperCase() === 'Z' || (offsetHour! <= MAX_OFFSET_HOURS && offsetMinute! <= 59));
}

/** An instant in a request (filters, ranges): the same check as a transaction's occurred_at. */
export const instant = z.string().refine(isRfc3339WithOffset, 'must be an RFC 3339 timestamp with an offset, e.g. 2026-03-01T09:30:00Z');

export function validDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** A UTC instant as RFC 3339, without fractional seconds when they are zero. */
export function formatInstant(isoMicros: string): string {
  return isoMicros.replace(/\.(\d*?)0*Z$/, (_, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}
