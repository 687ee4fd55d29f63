import { sessionStore } from './session';

const integer = new Intl.NumberFormat();

/** The browser's own time zone: what times are shown in unless the user chose another. */
export const BROWSER_TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** The zone the signed-in user reads times in: their setting, else the browser's. */
export function displayTimeZone(): string {
  return sessionStore.me()?.user.time_zone ?? BROWSER_TIME_ZONE;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(kind: 'dateTime' | 'date', timeZone: string): Intl.DateTimeFormat {
  const key = `${kind} ${timeZone}`;
  let found = formatters.get(key);
  if (!found) {
    found = new Intl.DateTimeFormat(
      undefined,
      kind === 'dateTime'
        ? {
            timeZone,
            year: 'numeric',
            month: 'short',
            day: 'numeric',
            hour: 'numeric',
            minute: '2-digit',
            timeZoneName: 'short',
          }
        : { timeZone, dateStyle: 'medium' },
    );
    formatters.set(key, found);
  }
  return found;
}

/** An instant, in the user's time zone, which it names ("Dec 6, 2026, 2:05 AM GMT+1"). */
export function formatDateTime(value: string | null | undefined): string {
  return value ? formatter('dateTime', displayTimeZone()).format(new Date(value)) : '—';
}

const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** An instant's date in the user's time zone; a calendar date (YYYY-MM-DD) as it is. */
export function formatDate(value: string | null | undefined): string {
  if (!value) return '—';
  // A calendar date is midnight UTC to Date: read in UTC so it never shifts to the day before.
  return formatter('date', CALENDAR_DATE.test(value) ? 'UTC' : displayTimeZone()).format(new Date(value));
}

export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : integer.format(value);
}

/** Amounts stay decimal strings end to end; only the whole part is grouped for reading. */
export function formatAmount(amount: string, currency?: string | null): string {
  const [whole = '0', fraction] = amount.split('.');
  const negative = whole.startsWith('-');
  const grouped = (negative ? whole.slice(1) : whole).replace(/\B(?=(\d{3})+$)/g, ',');
  const decimals = (fraction ?? '').replace(/0+$/, '').padEnd(2, '0');
  return `${negative ? '-' : ''}${grouped}.${decimals}${currency ? ` ${currency}` : ''}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function humanize(value: string): string {
  const text = value.replaceAll('_', ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const offsetParts = new Map<string, Intl.DateTimeFormat>();
/** How far `zone` is ahead of UTC at the instant `utcMs`, in milliseconds. */
function zoneOffset(zone: string, utcMs: number): number {
  let parts = offsetParts.get(zone);
  if (!parts) {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    offsetParts.set(zone, parts);
  }
  const p = Object.fromEntries(parts.formatToParts(new Date(utcMs)).map((part) => [part.type, Number(part.value)]));
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(utcMs / 1000) * 1000;
}

/**
 * A wall-clock time on a calendar date (a date filter's "from" or "to") in the user's time zone,
 * as an instant. The offset is taken twice: the first guess may sit across a daylight-saving change.
 */
export function zonedInstant(date: string, time = '00:00:00.000'): string {
  const zone = displayTimeZone();
  const wall = Date.parse(`${date}T${time}Z`);
  const offset = zoneOffset(zone, wall - zoneOffset(zone, wall));
  return new Date(wall - offset).toISOString();
}

/** A `datetime-local` input's value (`YYYY-MM-DDTHH:mm`, seconds optional) read in the user's time zone, as an instant. */
export function zonedLocalInstant(value: string): string {
  const [date, time = '00:00'] = value.split('T');
  return zonedInstant(date!, time.length === 5 ? `${time}:00.000` : time);
}
