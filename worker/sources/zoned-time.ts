import { isRfc3339WithOffset, validDate } from '../platform/timestamps';

type TimestampSettings = { format?: string | undefined; time_zone?: string | undefined };
type WallTime = {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  fraction: string;
};

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

export function isTimeZone(zone: string): boolean {
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC, in milliseconds, at the instant `utcMs` (read to the second). */
export function zoneOffsetMs(zone: string, utcMs: number): number {
  const second = Math.floor(utcMs / 1000) * 1000;
  const parts: Record<string, number> = {};
  for (const part of formatterFor(zone).formatToParts(new Date(second)))
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  // setUTCFullYear rather than Date.UTC, which reads the years 0-99 as 1900-1999.
  const asUtc = new Date(0);
  asUtc.setUTCFullYear(parts.year!, parts.month! - 1, parts.day!);
  asUtc.setUTCHours(parts.hour!, parts.minute!, parts.second!, 0);
  return asUtc.getTime() - second;
}

/** The zone's offset from UTC, in minutes, at the instant `utcMs`. */
function offsetMinutes(zone: string, utcMs: number): number {
  return Math.round(zoneOffsetMs(zone, utcMs) / 60000);
}

/**
 * The offset that applies to a wall-clock time in `zone`. Twice, because the first guess may sit
 * across a DST change; a time in a spring-forward gap takes the offset after the change.
 */
function offsetForWallTime(zone: string, wall: WallTime): number {
  const wallMs = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  const first = offsetMinutes(zone, wallMs);
  return offsetMinutes(zone, wallMs - first * 60000);
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

function rfc3339(wall: WallTime, offset: number): string {
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${pad(wall.year, 4)}-${pad(wall.month)}-${pad(wall.day)}T${pad(wall.hour)}:${pad(wall.minute)}:${pad(wall.second)}` +
    `${wall.fraction ? `.${wall.fraction}` : ''}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

const TOKENS: Record<string, { pattern: string; part: keyof WallTime }> = {
  YYYY: { pattern: '(\\d{4})', part: 'year' },
  MM: { pattern: '(\\d{1,2})', part: 'month' },
  DD: { pattern: '(\\d{1,2})', part: 'day' },
  HH: { pattern: '(\\d{1,2})', part: 'hour' },
  mm: { pattern: '(\\d{2})', part: 'minute' },
  ss: { pattern: '(\\d{2})', part: 'second' },
  SSS: { pattern: '(\\d{1,9})', part: 'fraction' },
};
/** Without a format: ISO dates and times without an offset, `2023-01-02 00:43`, `2023-01-02T00:43:00.5`, `2023-01-02`. */
const NAIVE_ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$/;
const compiled = new Map<string, { regex: RegExp; parts: (keyof WallTime)[] }>();

/**
 * Whether a mapping's format can read a date: epoch seconds or milliseconds, or a pattern with a
 * year, a month and a day. `yyyy/MM/dd` (another library's tokens) is refused here, rather than
 * accepted and then failing every row.
 */
export const TIMESTAMP_FORMAT_MESSAGE =
  'must be unix, unix_ms, or a pattern with the tokens YYYY, MM and DD (and HH mm ss SSS), e.g. YYYY/MM/DD HH:mm';

export function isTimestampFormat(format: string): boolean {
  if (format === 'unix' || format === 'unix_ms') return true;
  const { parts } = compileFormat(format);
  return ['year', 'month', 'day'].every((part) => parts.includes(part as keyof WallTime));
}

/** `DD/MM/YYYY HH:mm` and the like: YYYY MM DD HH mm ss SSS, every other character literal. */
function compileFormat(format: string): { regex: RegExp; parts: (keyof WallTime)[] } {
  let entry = compiled.get(format);
  if (!entry) {
    const parts: (keyof WallTime)[] = [];
    const source = format.replace(/YYYY|SSS|MM|DD|HH|mm|ss|[.*+?^${}()|[\]\\]/g, (token) => {
      const known = TOKENS[token];
      if (!known) return `\\${token}`;
      parts.push(known.part);
      return known.pattern;
    });
    entry = { regex: new RegExp(`^${source}$`), parts };
    compiled.set(format, entry);
  }
  return entry;
}

function readWallTime(text: string, format: string | undefined): WallTime | undefined {
  const wall: WallTime = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0, fraction: '' };
  if (!format) {
    const match = NAIVE_ISO.exec(text);
    if (!match) return undefined;
    const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = ''] = match;
    Object.assign(wall, {
      year: +year!,
      month: +month!,
      day: +day!,
      hour: +hour,
      minute: +minute,
      second: +second,
      fraction,
    });
  } else {
    const { regex, parts } = compileFormat(format);
    const match = regex.exec(text);
    if (!match) return undefined;
    parts.forEach((part, index) => {
      (wall as Record<string, number | string>)[part] =
        part === 'fraction' ? match[index + 1]! : Number(match[index + 1]);
    });
  }
  const valid = validDate(wall.year, wall.month, wall.day) && wall.hour <= 23 && wall.minute <= 59 && wall.second <= 59;
  return valid ? wall : undefined;
}

/**
 * An incoming timestamp as RFC 3339 with an offset. A value that carries its own offset is kept;
 * a naive one is read with the mapping's format in its time zone; `unix` and `unix_ms` formats
 * read epoch seconds or milliseconds.
 */
export function readTimestamp(value: unknown, settings: TimestampSettings): { value: string } | { error: string } {
  if (settings.format === 'unix' || settings.format === 'unix_ms') {
    const epoch =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && /^\d+(\.\d+)?$/.test(value)
          ? Number(value)
          : NaN;
    const ms = settings.format === 'unix' ? epoch * 1000 : epoch;
    if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15)
      return { error: `must be epoch ${settings.format === 'unix' ? 'seconds' : 'milliseconds'}` };
    return { value: new Date(ms).toISOString() };
  }
  if (typeof value !== 'string') return { error: 'must be a string' };
  if (isRfc3339WithOffset(value)) return { value };
  const wall = readWallTime(value.trim(), settings.format);
  if (!wall)
    return {
      error: `does not match the timestamp format ${settings.format ?? 'YYYY-MM-DD HH:mm:ss'} of the source mapping`,
    };
  if (!settings.time_zone) return { error: 'has no offset and the source mapping sets no time_zone to read it in' };
  return { value: rfc3339(wall, offsetForWallTime(settings.time_zone, wall)) };
}
