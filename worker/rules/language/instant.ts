/**
 * Instants as microseconds since the Unix epoch (BigInt): the resolution of Postgres' timestamptz,
 * so JavaScript and SQL order the same instants the same way.
 */
import { MAX_OFFSET_HOURS } from '../../platform/timestamps';

// RFC 3339 with an offset, plus the `+hh` / `+hhmm` offsets Postgres prints; at most microseconds.
const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:[Zz]|([+-])(\d{2})(?::?(\d{2}))?)$/;

export function parseInstant(text: string): bigint | null {
  const match = INSTANT.exec(text);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fraction = match[7] ?? '';
  const offsetHours = Number(match[9] ?? 0);
  const offsetMinutes = Number(match[10] ?? 0);
  if (year < 1 || hour > 23 || minute > 59 || second > 59 || offsetHours > MAX_OFFSET_HOURS || offsetMinutes > 59)
    return null;
  const midnight = new Date(0);
  midnight.setUTCFullYear(year, month - 1, day);
  // Date rolls 2026-02-30 over into March: a changed month or day means the date does not exist.
  if (midnight.getUTCMonth() !== month - 1 || midnight.getUTCDate() !== day) return null;
  const offsetSeconds = (match[8] === '-' ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
  const seconds = midnight.getTime() / 1000 + hour * 3600 + minute * 60 + second - offsetSeconds;
  return BigInt(seconds) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
}

/** The UTC RFC 3339 text of an instant, with all six fractional digits. */
export function formatInstant(micros: bigint): string {
  const seconds = micros / 1_000_000n - (micros % 1_000_000n < 0n ? 1n : 0n);
  const fraction = micros - seconds * 1_000_000n;
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction.toString().padStart(6, '0')}Z`;
}
