/**
 * bench:ingest's rows of an organization whose accounts have habits (`--habits`, and
 * `--with-model`): as bench:anomaly's data set (scripts/anomaly-dataset.ts) generates them, but
 * computed from the row's number alone, so that a body of any size streams without state and
 * `COPY` can load the same rows. Row n is the k-th transaction (k = n / 1,000) of account n % 1,000.
 */

const ACCOUNTS = 1000;
/**
 * The rows stored before the timed ones (and the anomaly model's training data): 50 per account,
 * so that the model is fitted, as the weekly training fits it in production, on accounts whose
 * histories are as long as those of the rows it scores (a history holds at most 50). A seed of 20
 * per account fitted the model on young accounts only, and 30-47% of the timed rows then scored
 * 0.5 or more (12-15% with this seed; 6-7% on bench:anomaly's realistic set).
 */
export const HABITS_SEED_ROWS = 50 * ACCOUNTS;
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'IN', 'SG'];
const TYPES = ['wire', 'card', 'ach', 'cash'];
const HOUR_MS = 3_600_000;

/** A uniform draw in [0, 1) fixed by two integers (a 32-bit integer hash). */
function draw(a: number, b: number): number {
  let t = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35);
  t ^= t >>> 16;
  t = Math.imul(t, 0x7feb352d);
  t ^= t >>> 15;
  t = Math.imul(t, 0x846ca68b);
  t ^= t >>> 16;
  return (t >>> 0) / 4294967296;
}

/** A standard normal draw (Box-Muller) fixed by two integers. */
function normal(a: number, b: number): number {
  const u = Math.max(draw(a, b), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * draw(a, b + 1));
}

/**
 * Each account's habits, as bench:anomaly's: an amount level (log-normal, median $40 to $20,000,
 * spread 0.2-0.55), a working hour (7 to 17), 3 to 8 regular counterparties at home, one type.
 */
function habit(account: number) {
  return {
    meanLog: Math.log(40) + draw(account, 1) * Math.log(500),
    sdLog: 0.2 + draw(account, 2) * 0.35,
    hour: 7 + Math.floor(draw(account, 3) * 11),
    counterparties: 3 + Math.floor(draw(account, 4) * 6),
    type: TYPES[Math.floor(draw(account, 5) * TYPES.length)]!,
    country: COUNTRIES[Math.floor(draw(account, 6) * COUNTRIES.length)]!,
  };
}

/**
 * Row `n`: two transactions a day per account, the first within the hour after its working hour and
 * the second 90 minutes later (so an account's rows ascend in time with n); the amount drawn
 * around its level; 96% to a regular counterparty, else a new one at home.
 */
export function habitualFields(n: number, prefix: string, start: number): Record<string, string> {
  const account = n % ACCOUNTS;
  const k = Math.floor(n / ACCOUNTS);
  const own = habit(account);
  const at = start + Math.floor(k / 2) * 24 * HOUR_MS + own.hour * HOUR_MS + ((k % 2) * 1.5 + draw(n, 7)) * HOUR_MS;
  const amount = Math.exp(own.meanLog + own.sdLog * normal(n, 8)) + 1;
  const regular = draw(n, 10) < 0.96;
  return {
    id: `${prefix}-${n}`,
    occurred_at: new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    amount: amount.toFixed(2),
    currency: 'USD',
    account: `ACC-${account}`,
    counterparty: regular ? `CP-${account}-${Math.floor(draw(n, 11) * own.counterparties)}` : `CP-NEW-${n}`,
    type: own.type,
    country: own.country,
    counterparty_country: own.country,
    channel: 'bench',
  };
}
