import { type SQL, sql } from 'drizzle-orm';
import { type Tx, uuidLiteral } from '../../db/tenant';
import { isTimeZone, zoneOffsetMs } from '../sources/zoned-time';

/**
 * The one definition of the anomaly model's features, used by training and by every scoring path:
 * `featureVector` turns a transaction and its history (the account's last HISTORY_SIZE
 * transactions that occurred strictly before it, ordered by time then external id) into numbers.
 * Nothing else computes a feature. Two readers fetch histories, both as stored rows, never as
 * aggregates, so the arithmetic happens here only:
 *
 * - `readStoredHistories`: stored transactions (a training sample, a chunk, a webhook push), each
 *   with its history (one short backward index scan a transaction);
 * - `readBatchHistories`: a batch not stored yet (an upload or connector batch), whose histories are
 *   the stored tail of each of its accounts, read once per batch, merged with the batch's own rows.
 *
 * Once a batch is stored, `readStoredHistories` gives its transactions the histories
 * `readBatchHistories` gave them (test/risk.model.test.ts), when no other writer stored rows of
 * the same accounts in between.
 */
export const HISTORY_SIZE = 50;
// Below these many earlier transactions an account has no habits yet: the relative features stay neutral.
const MIN_HISTORY = 3;
const MIN_HISTORY_FOR_HOURS = 5;
/** Stored rows of one account inside a batch's time span read at once; past it, each row's tail is read on its own. */
export const SPAN_LIMIT = 2000;

const HOUR_US = 3_600_000_000;
const DAY_US = 24 * HOUR_US;
const QUARTER_HOUR_US = HOUR_US / 4;

export const FEATURES = [
  'log_amount',
  'amount_z_for_account',
  'amount_above_account_max',
  'hour_of_day',
  'day_of_week',
  'hour_surprise_for_account',
  'activity_1h',
  'activity_vs_account',
  'new_counterparty',
  'new_counterparty_country',
  'activity_15m',
] as const;
export type FeatureName = (typeof FEATURES)[number];

/** A transaction as the features read it. */
export type Observation = {
  /** The external id: orders transactions of the same instant. */
  key: string;
  /** Microseconds since the epoch, as Postgres stores the instant. */
  at: number;
  logAmount: number;
  /** Local hour 0-23 and weekday 0 (Monday) to 6, in the zone the model was trained in. */
  hour: number;
  weekday: number;
  counterparty: string | null;
  country: string | null;
};

/** A transaction with its history, ascending by (time, external id). */
export type WithHistory = { probe: Observation; history: Observation[] };

/** Per local hour, the hours within 2 of it (circularly) as bits: `hour_surprise_for_account` counts them. */
const NEAR_HOURS = Array.from({ length: 24 }, (_, hour) => {
  let bits = 0;
  for (let other = 0; other < 24; other++) {
    const apart = Math.abs(other - hour);
    if (Math.min(apart, 24 - apart) <= 2) bits |= 1 << other;
  }
  return bits;
});

/**
 * The feature vector of one transaction, in the order of FEATURES. One pass over the history for
 * everything but the deviation (which needs the mean), in its order (the sums are the same to the
 * bit); scoring an upload runs it for every row (about 1 us a row on bench:ingest's rows).
 */
export function featureVector({ probe, history }: WithHistory): number[] {
  const n = history.length;
  const known = n >= MIN_HISTORY;
  let sum = 0;
  let max = Number.NEGATIVE_INFINITY;
  let nearHour = 0;
  let last24h = 0;
  let last1h = 0;
  let last15m = 0;
  let first = Number.POSITIVE_INFINITY;
  // Once seen (or nothing to see), a counterparty or country is not compared again.
  let counterpartySeen = probe.counterparty === null;
  let countrySeen = probe.country === null;
  const nearHours = NEAR_HOURS[probe.hour]!;
  const dayAgo = probe.at - DAY_US;
  const hourAgo = probe.at - HOUR_US;
  const quarterHourAgo = probe.at - QUARTER_HOUR_US;
  for (let i = 0; i < n; i++) {
    const h = history[i]!;
    const logAmount = h.logAmount;
    sum += logAmount;
    if (logAmount > max) max = logAmount;
    nearHour += (nearHours >>> h.hour) & 1;
    const at = h.at;
    if (at > dayAgo) last24h++;
    if (at > hourAgo) last1h++;
    if (at > quarterHourAgo) last15m++;
    if (at < first) first = at;
    if (!counterpartySeen && h.counterparty === probe.counterparty) counterpartySeen = true;
    if (!countrySeen && h.country === probe.country) countrySeen = true;
  }
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (history[i]!.logAmount - mean) ** 2;
  const amountZ = known ? amountZForAccount(probe.logAmount - mean, squares, n) : 0;
  // How far (in log amount) above the largest amount of the account's history: 0 within it.
  const aboveMax = known ? Math.max(0, probe.logAmount - max) : 0;
  // The surprise (in nats) of this hour for the account: -ln of the smoothed share of its history
  // within 2 hours of it. A share scale would put an hour never seen (1) next to one seen a few
  // times (0.8); the logarithm keeps them apart, as far apart as the history is long.
  const hourSurprise = n >= MIN_HISTORY_FOR_HOURS ? -Math.log((nearHour + 0.5) / (n + 1)) : 0;
  // The account's usual transactions per day over its history (at least a day's span), against the last 24 h.
  const spanHours = (probe.at - first) / HOUR_US;
  const perDay = known ? (n * 24) / Math.max(spanHours, 24) : 0;
  const activityVsAccount = known ? (last24h + 1) / (perDay + 1) : 1;
  const newCounterparty = known && probe.counterparty !== null && !counterpartySeen ? 1 : 0;
  const newCountry = known && probe.country !== null && !countrySeen ? 1 : 0;
  return [
    probe.logAmount,
    amountZ,
    aboveMax,
    probe.hour,
    probe.weekday,
    hourSurprise,
    last1h,
    activityVsAccount,
    newCounterparty,
    newCountry,
    last15m,
  ];
}

/**
 * How far off the account's mean (`off`, in log amount) an amount is, as the standard normal
 * deviate with the same tail probability, either way. With n earlier amounts a new one follows
 * Student's t with n - 1 degrees of freedom around their mean, at the sample deviation times
 * sqrt(1 + 1/n); a young account's deviation is a rough guess, so the same distance means less
 * there (after three amounts, one 6 of their deviations off counts as 1.9). The t to normal
 * conversion is Wallace's (1959) approximation: within 6% of the exact deviate at two degrees of
 * freedom, 2.5% from five, 1.3% from ten (checked against scipy for deviates of 0.5 to 20). Capped
 * at 20; a scale under 0.1 counts as 0.1 (an account of one repeated amount).
 */
function amountZForAccount(off: number, squares: number, n: number): number {
  const df = n - 1;
  const t = Math.abs(off) / Math.max(Math.sqrt((squares / df) * (1 + 1 / n)), 0.1);
  return Math.min(Math.sqrt(df * Math.log1p((t * t) / df)) * ((8 * df + 1) / (8 * df + 3)), 20);
}

/** Ascending by time, then by external id (code unit order, as `collate "C"` orders ASCII ids). */
export function byTime(a: Observation, b: Observation): number {
  return a.at - b.at || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** The last HISTORY_SIZE of `sorted` (ascending, byTime) that occurred strictly before `at`. */
export function historyBefore(sorted: Observation[], at: number): Observation[] {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]!.at < at) low = middle + 1;
    else high = middle;
  }
  return sorted.slice(Math.max(0, low - HISTORY_SIZE), low);
}

const TIME_ZONE = /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/;
const QUARTER_HOUR_MS = 900_000;
const ZONE_CACHE_SIZE = 100_000;

/**
 * Local hours and weekdays in one IANA zone. The zone's offset is read (Intl) once per UTC quarter
 * hour and kept: offsets change on quarter-hour boundaries (in the tz database since 1970).
 */
export class ZoneClock {
  private readonly offsets = new Map<number, number>();

  constructor(readonly zone: string) {
    if (!TIME_ZONE.test(zone) || !isTimeZone(zone)) throw new Error(`not a time zone name: ${zone.slice(0, 80)}`);
  }

  /** The local hour and weekday (0 Monday) of an instant in microseconds. */
  local(atMicros: number): { hour: number; weekday: number } {
    const ms = Math.floor(atMicros / 1000);
    const local = ms + this.offset(ms);
    const days = Math.floor(local / 86_400_000);
    return {
      hour: Math.floor((local - days * 86_400_000) / 3_600_000),
      // 1970-01-01 was a Thursday (3, counting Monday as 0).
      weekday: (((days + 3) % 7) + 7) % 7,
    };
  }

  private offset(ms: number): number {
    if (this.zone === 'UTC') return 0;
    const quarter = Math.floor(ms / QUARTER_HOUR_MS);
    let offset = this.offsets.get(quarter);
    if (offset === undefined) {
      offset = zoneOffsetMs(this.zone, quarter * QUARTER_HOUR_MS);
      if (this.offsets.size >= ZONE_CACHE_SIZE) this.offsets.clear();
      this.offsets.set(quarter, offset);
    }
    return offset;
  }
}

const clocks = new Map<string, ZoneClock>();

/** The clock of a zone, one per isolate. */
export function zoneClock(zone: string): ZoneClock {
  let clock = clocks.get(zone);
  if (!clock) {
    clock = new ZoneClock(zone);
    if (clocks.size >= 64) clocks.clear();
    clocks.set(zone, clock);
  }
  return clock;
}

export function observe(
  clock: ZoneClock,
  key: string,
  at: number,
  amount: number,
  counterparty: string | null,
  country: string | null,
): Observation {
  const { hour, weekday } = clock.local(at);
  return { key, at, logAmount: Math.log1p(amount), hour, weekday, counterparty, country };
}

/**
 * An RFC 3339 timestamp (as checked at intake) in microseconds since the epoch, as Postgres
 * stores it: fractions beyond microseconds rounded (half to even) as its input routine does.
 */
export function instantMicros(text: string): number {
  // Fixed positions, decimal digits only (checked at intake): read without a substring each.
  const digits = (from: number, to: number) => {
    let value = 0;
    for (let i = from; i < to; i++) value = value * 10 + text.charCodeAt(i) - 48;
    return value;
  };
  const year = digits(0, 4);
  const month = digits(5, 7);
  const day = digits(8, 10);
  let seconds = digits(11, 13) * 3600 + digits(14, 16) * 60 + digits(17, 19);
  let end = text.length;
  const last = text[end - 1];
  if (last === 'Z' || last === 'z') end -= 1;
  else {
    const sign = text[end - 6] === '-' ? -1 : 1;
    seconds -= sign * (digits(end - 5, end - 3) * 3600 + digits(end - 2, end) * 60);
    end -= 6;
  }
  let micros = 0;
  if (text[19] === '.') micros = roundHalfEven(Number(`0${text.slice(19, end)}`) * 1_000_000);
  return (daysFromCivil(year, month, day) * 86_400 + seconds) * 1_000_000 + micros;
}

function roundHalfEven(value: number): number {
  const rounded = Math.round(value);
  return rounded - value === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

// A stored row as the readers send it: [external id, microseconds, amount, counterparty, counterparty country].
type StoredEntry = [string, number, number, string | null, string | null];

const micros = (alias: string) => sql.raw(`(extract(epoch from ${alias}.occurred_at) * 1000000)::int8`);

/**
 * The account's last HISTORY_SIZE stored transactions strictly before `before` (a timestamptz), as
 * a JSON array of StoredEntry: a backward scan of the (org, account, time) index.
 */
function storedTail(org: SQL, account: SQL, before: SQL): SQL {
  return sql`(select coalesce(json_agg(json_build_array(u.external_id, ${micros('u')}, u.amount, u.counterparty, u.counterparty_country)), '[]')::text
    from (
      select u.external_id, u.occurred_at, u.amount, u.counterparty, u.counterparty_country from transactions u
      where u.org_id = ${org} and u.account = ${account} and u.occurred_at < ${before}
      order by u.occurred_at desc, u.external_id collate "C" desc
      limit ${sql.raw(String(HISTORY_SIZE))}
    ) u)`;
}

function entries(clock: ZoneClock, text: string): Observation[] {
  return (JSON.parse(text) as StoredEntry[]).map(([key, at, amount, counterparty, country]) =>
    observe(clock, key, at, amount, counterparty, country),
  );
}

export type StoredHistory = WithHistory & { id: number };

/** Each stored transaction of `probes` (a filter on `t`) with its history, in id order. */
export async function readStoredHistories(
  tx: Tx,
  orgId: string,
  probes: SQL,
  timeZone: string,
): Promise<StoredHistory[]> {
  const clock = zoneClock(timeZone);
  const org = uuidLiteral(orgId);
  const rows = await tx.execute<{
    id: string;
    external_id: string;
    at: string;
    amount: string;
    counterparty: string | null;
    counterparty_country: string | null;
    history: string;
  }>(sql`
    select t.id, t.external_id, ${micros('t')} as at, trim_scale(t.amount)::text as amount, t.counterparty,
      t.counterparty_country, ${storedTail(org, sql`t.account`, sql`t.occurred_at`)} as history
    from transactions t
    where t.org_id = ${org} and ${probes}
    order by t.id`);
  return rows.map((row) => ({
    id: Number(row.id),
    probe: observe(
      clock,
      row.external_id,
      Number(row.at),
      Number(row.amount),
      row.counterparty,
      row.counterparty_country,
    ),
    history: entries(clock, row.history).sort(byTime),
  }));
}

/** A transaction of a batch not stored yet, in its canonical shape (the fields the features read). */
export type BatchTransaction = {
  id: string;
  occurred_at: string;
  amount: string;
  account: string;
  counterparty: string | null;
  counterparty_country: string | null;
};

/** A transaction in its canonical shape as the features observe it (a batch's probe, a data set's row). */
export function observeTransaction(clock: ZoneClock, row: BatchTransaction): Observation {
  return observe(
    clock,
    row.id,
    instantMicros(row.occurred_at),
    Number(row.amount),
    row.counterparty,
    row.counterparty_country,
  );
}

type AccountSpan = { account: string; rows: number[]; lo: number; hi: number };

/** Observations an upload keeps at most, across its accounts (about 12 MB). */
const TAILS_LIMIT = 100_000;

/**
 * What an upload has learnt of its accounts' transactions, batch after batch: for each account,
 * its last HISTORY_SIZE transactions up to an instant (stored, or in a batch being stored). A later
 * batch of the upload whose rows of that account all come after it then reads only the stored rows
 * between (another writer's), instead of the account's tail again. Least recently used accounts go
 * first past TAILS_LIMIT observations.
 */
export class AccountTails {
  private readonly known = new Map<string, { rows: Observation[]; until: number }>();
  private size = 0;
  private zone: string | null = null;

  get(zone: string, account: string): { rows: Observation[]; until: number } | undefined {
    return zone === this.zone ? this.known.get(account) : undefined;
  }

  set(zone: string, account: string, rows: Observation[], until: number): void {
    if (zone !== this.zone) {
      this.known.clear();
      this.size = 0;
      this.zone = zone;
    }
    const old = this.known.get(account);
    // Two batches in flight can finish out of order: the later knowledge stays.
    if (old && old.until >= until) return;
    this.forget(account);
    this.known.set(account, { rows, until });
    this.size += rows.length;
    for (const [first, { rows: evicted }] of this.known) {
      if (this.size <= TAILS_LIMIT) break;
      this.known.delete(first);
      this.size -= evicted.length;
    }
  }

  forget(account: string): void {
    const old = this.known.get(account);
    if (!old) return;
    this.known.delete(account);
    this.size -= old.rows.length;
  }
}

/**
 * Each transaction of a batch about to be stored with its history, by position in the batch. The
 * stored part is read in one statement for the whole batch: for each of its accounts, the last
 * HISTORY_SIZE stored transactions before the batch's earliest of that account and the stored ones
 * within the account's span in the batch (or, when `tails` knows the account up to an instant
 * before the span, only the stored ones after that instant). The batch's own rows (the first of
 * each id: a repeated id is not stored again) join them. An account with more than `spanLimit`
 * stored rows within its span (a backfill between stored rows) has each of its rows' tails read on
 * its own instead.
 */
export async function readBatchHistories(
  tx: Tx,
  orgId: string,
  batch: BatchTransaction[],
  timeZone: string,
  options: { spanLimit?: number; tails?: AccountTails } = {},
): Promise<WithHistory[]> {
  const { spanLimit = SPAN_LIMIT, tails } = options;
  const clock = zoneClock(timeZone);
  const org = uuidLiteral(orgId);
  const probes = batch.map((row) => observeTransaction(clock, row));
  const spans = new Map<string, AccountSpan>();
  batch.forEach((row, index) => {
    const span = spans.get(row.account);
    if (!span) spans.set(row.account, { account: row.account, rows: [index], lo: index, hi: index });
    else {
      span.rows.push(index);
      if (probes[index]!.at < probes[span.lo]!.at) span.lo = index;
      if (probes[index]!.at > probes[span.hi]!.at) span.hi = index;
    }
  });
  const accounts = [...spans.values()];
  const result: WithHistory[] = [];
  if (accounts.length === 0) return result;
  const known = accounts.map((span) => {
    const tail = tails?.get(timeZone, span.account);
    return tail && tail.until < probes[span.lo]!.at ? tail : undefined;
  });
  const stored = await tx.execute<{ n: number; tail: string; span: string }>(sql`
    select a.n, case when a.known then '[]' else ${storedTail(org, sql`a.account`, sql`a.lo`)} end as tail,
      (select coalesce(json_agg(json_build_array(u.external_id, ${micros('u')}, u.amount, u.counterparty, u.counterparty_country)), '[]')::text
       from (
         select u.external_id, u.occurred_at, u.amount, u.counterparty, u.counterparty_country from transactions u
         where u.org_id = ${org} and u.account = a.account and u.occurred_at >= a.lo and u.occurred_at <= a.hi
         limit ${sql.raw(String(spanLimit + 1))}
       ) u) as span
    from json_to_recordset(${JSON.stringify(
      accounts.map((span, n) => ({
        n,
        account: span.account,
        // Known up to an instant: the stored rows after it (to the microsecond), else the whole span.
        lo: known[n] ? microsText(known[n].until + 1) : batch[span.lo]!.occurred_at,
        hi: batch[span.hi]!.occurred_at,
        known: known[n] !== undefined,
      })),
    )}::json) as a(n int, account text, lo timestamptz, hi timestamptz, known boolean)`);

  const overflowing: AccountSpan[] = [];
  for (const row of stored) {
    const n = Number(row.n);
    const span = accounts[n]!;
    const within = entries(clock, row.span);
    if (within.length > spanLimit) {
      overflowing.push(span);
      tails?.forget(span.account);
      continue;
    }
    const earlier = known[n] ? [...known[n].rows] : entries(clock, row.tail);
    const candidates = withBatchRows([...earlier, ...within], span, probes);
    for (const index of span.rows)
      result[index] = { probe: probes[index]!, history: historyBefore(candidates, probes[index]!.at) };
    tails?.set(timeZone, span.account, candidates.slice(-HISTORY_SIZE), probes[span.hi]!.at);
  }
  if (overflowing.length > 0) {
    const own = overflowing.flatMap((span) => span.rows);
    const perRow = await tx.execute<{ n: number; tail: string }>(sql`
      select p.n, ${storedTail(org, sql`p.account`, sql`p.at`)} as tail
      from json_to_recordset(${JSON.stringify(
        own.map((index) => ({ n: index, account: batch[index]!.account, at: batch[index]!.occurred_at })),
      )}::json) as p(n int, account text, at timestamptz)`);
    const spanOf = new Map(overflowing.flatMap((span) => span.rows.map((index) => [index, span] as const)));
    for (const row of perRow) {
      const index = Number(row.n);
      const candidates = withBatchRows(entries(clock, row.tail), spanOf.get(index)!, probes);
      result[index] = { probe: probes[index]!, history: historyBefore(candidates, probes[index]!.at) };
    }
  }
  return result;
}

/** An instant in microseconds as RFC 3339 text with all six fractional digits. */
function microsText(at: number): string {
  const ms = Math.floor(at / 1000);
  return `${new Date(ms).toISOString().slice(0, 23)}${String(at - ms * 1000).padStart(3, '0')}Z`;
}

/** Below this many batch rows of an account, its ids are checked by a scan rather than a set. */
const SCANNED_ROWS = 16;

/** Stored rows and the batch's rows of one account (first of each id; a stored id wins), ascending. */
function withBatchRows(stored: Observation[], span: AccountSpan, probes: Observation[]): Observation[] {
  const candidates = stored;
  if (span.rows.length < SCANNED_ROWS) {
    // An account's few rows of a batch (bench:ingest's: 5): scanning ~55 ids beats hashing them all.
    for (const index of span.rows) {
      const probe = probes[index]!;
      let seen = false;
      for (let i = 0; i < candidates.length && !seen; i++) seen = candidates[i]!.key === probe.key;
      if (!seen) candidates.push(probe);
    }
  } else {
    const keys = new Set(stored.map((row) => row.key));
    for (const index of span.rows) {
      const probe = probes[index]!;
      if (keys.has(probe.key)) continue;
      keys.add(probe.key);
      candidates.push(probe);
    }
  }
  // Often in order already (what the upload kept, then the batch's later rows): a sort is skipped.
  for (let i = 1; i < candidates.length; i++)
    if (byTime(candidates[i - 1]!, candidates[i]!) > 0) return candidates.sort(byTime);
  return candidates;
}
