import { type SQL, sql } from 'drizzle-orm';
import { type Tx, uuidLiteral } from '../../db/tenant';

/**
 * The one definition of the anomaly model's features, used by training and by scoring alike: a
 * statement reads each transaction with its account's recent history (`historyStatement`), and
 * `featureVector` turns that row into numbers. Nothing else computes a feature.
 *
 * History is the account's last HISTORY_SIZE transactions that occurred before this one: bounded,
 * so scoring a transaction costs one short backward index scan whatever the account's age.
 */
export const HISTORY_SIZE = 50;
// Below these many earlier transactions an account has no habits yet: the relative features stay neutral.
const MIN_HISTORY = 3;
const MIN_HISTORY_FOR_HOURS = 5;

export const FEATURES = [
  'log_amount',
  'amount_vs_account',
  'amount_above_account_max',
  'hour_of_day',
  'day_of_week',
  'hour_unusual_for_account',
  'activity_24h',
  'activity_1h',
  'activity_vs_account',
  'new_counterparty',
  'new_counterparty_country',
] as const;
export type FeatureName = (typeof FEATURES)[number];

/** One transaction and what its account's history says about it, as the statement returns them. */
export type HistoryRow = {
  id: string | number;
  amount: string;
  hour: number;
  weekday: number;
  history: number;
  mean_log: number | null;
  sd_log: number | null;
  max_log: number | null;
  near_hour: number;
  last_24h: number;
  last_1h: number;
  span_hours: number | null;
  counterparty: string | null;
  counterparty_seen: boolean | null;
  counterparty_country: string | null;
  country_seen: boolean | null;
};

const TIME_ZONE = /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/;

/** An IANA zone name as a SQL literal; checked first, as it is written into the statement. */
function zoneLiteral(timeZone: string): SQL {
  if (!TIME_ZONE.test(timeZone)) throw new Error(`not a time zone name: ${timeZone.slice(0, 80)}`);
  return sql.raw(`'${timeZone}'`);
}

/**
 * Each transaction of `probes` (a filter on `t`) with its history, in id order. The organization
 * id and the zone are literals: on the webhook's path the statement goes in one round trip
 * (docs/architecture.md, Round trips).
 */
export function historyStatement(orgId: string, probes: SQL, timeZone: string): SQL {
  const org = uuidLiteral(orgId);
  const zone = zoneLiteral(timeZone);
  const hourOf = (alias: string) => sql.raw(`extract(hour from ${alias}.occurred_at at time zone `);
  return sql`
    select t.id, trim_scale(t.amount)::text as amount,
      ${hourOf('t')}${zone})::int as hour,
      extract(isodow from t.occurred_at at time zone ${zone})::int - 1 as weekday,
      t.counterparty, t.counterparty_country,
      h.history, h.mean_log, h.sd_log, h.max_log, h.near_hour, h.last_24h, h.last_1h, h.span_hours, h.counterparty_seen, h.country_seen
    from transactions t
    cross join lateral (
      select count(*)::int as history,
        avg(ln(1 + u.amount::float8)) as mean_log,
        stddev_pop(ln(1 + u.amount::float8)) as sd_log,
        max(ln(1 + u.amount::float8)) as max_log,
        count(*) filter (where least(
          abs(${hourOf('u')}${zone}) - ${hourOf('t')}${zone})),
          24 - abs(${hourOf('u')}${zone}) - ${hourOf('t')}${zone}))) <= 2)::int as near_hour,
        count(*) filter (where u.occurred_at > t.occurred_at - interval '24 hours')::int as last_24h,
        count(*) filter (where u.occurred_at > t.occurred_at - interval '1 hour')::int as last_1h,
        extract(epoch from t.occurred_at - min(u.occurred_at))::float8 / 3600 as span_hours,
        bool_or(u.counterparty = t.counterparty) as counterparty_seen,
        bool_or(u.counterparty_country = t.counterparty_country) as country_seen
      from (
        select u.amount, u.occurred_at, u.counterparty, u.counterparty_country
        from transactions u
        where u.org_id = ${org} and u.account = t.account and u.occurred_at < t.occurred_at
        order by u.occurred_at desc
        limit ${sql.raw(String(HISTORY_SIZE))}
      ) u
    ) h
    where t.org_id = ${org} and ${probes}
    order by t.id`;
}

export async function readHistories(tx: Tx, orgId: string, probes: SQL, timeZone: string): Promise<HistoryRow[]> {
  const rows = await tx.execute<HistoryRow>(historyStatement(orgId, probes, timeZone));
  return rows.map((row) => ({
    ...row,
    mean_log: row.mean_log === null ? null : Number(row.mean_log),
    sd_log: row.sd_log === null ? null : Number(row.sd_log),
    max_log: row.max_log === null ? null : Number(row.max_log),
    span_hours: row.span_hours === null ? null : Number(row.span_hours),
  }));
}

/** The feature vector of one transaction, in the order of FEATURES. */
export function featureVector(row: HistoryRow): number[] {
  const logAmount = Math.log1p(Number(row.amount));
  const known = row.history >= MIN_HISTORY;
  // How many of the account's standard deviations the (log) amount is off its mean, either way.
  const amountVsAccount =
    known && row.mean_log !== null
      ? Math.min(Math.abs(logAmount - row.mean_log) / Math.max(row.sd_log ?? 0, 0.1), 20)
      : 0;
  // How far (in log amount) above the largest amount of the account's history: 0 within it.
  const aboveMax = known && row.max_log !== null ? Math.max(0, logAmount - row.max_log) : 0;
  const hourUnusual = row.history >= MIN_HISTORY_FOR_HOURS ? 1 - row.near_hour / row.history : 0;
  // The account's usual transactions per day over its history (at least a day's span), against the last 24 h.
  const perDay = known ? (row.history * 24) / Math.max(row.span_hours ?? 24, 24) : 0;
  const activityVsAccount = known ? (row.last_24h + 1) / (perDay + 1) : 1;
  const newCounterparty = known && row.counterparty !== null && row.counterparty_seen !== true ? 1 : 0;
  const newCountry = known && row.counterparty_country !== null && row.country_seen !== true ? 1 : 0;
  return [
    logAmount,
    amountVsAccount,
    aboveMax,
    row.hour,
    row.weekday,
    hourUnusual,
    row.last_24h,
    row.last_1h,
    activityVsAccount,
    newCounterparty,
    newCountry,
  ];
}
