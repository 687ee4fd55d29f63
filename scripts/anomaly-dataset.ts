/**
 * A labelled, realistic transaction set for the anomaly model (`npm run bench:anomaly`, and the
 * risk tests at a smaller size): accounts with their own habits (amount level, working hours and
 * days, pace, regular counterparties at home), and about 1% planted anomalies of four kinds.
 * Pure and seeded: the same options give the same rows.
 */
import { seededRandom } from '../worker/risk/forest';

export type AnomalyKind = 'amount' | 'odd_hour' | 'burst' | 'new_counterparty_abroad';

export type LabelledTransaction = {
  id: string;
  occurred_at: string;
  amount: string;
  currency: string;
  account: string;
  counterparty: string;
  type: string;
  country: string;
  counterparty_country: string;
  channel: string;
  /** Not sent: what the row is. */
  anomaly?: AnomalyKind;
};

export type DatasetOptions = { accounts: number; days: number; seed: number; anomalyRate: number; start?: string };

const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'IN', 'SG', 'AE', 'BR', 'NG', 'KY', 'PA', 'RU'];

type Habit = {
  account: string;
  country: string;
  meanLog: number;
  sdLog: number;
  hour: number;
  perDay: number;
  weekendShare: number;
  counterparties: string[];
  type: string;
};

export function generateDataset(options: DatasetOptions): LabelledTransaction[] {
  const random = seededRandom(options.seed);
  const normal = () => {
    // Box-Muller.
    const u = Math.max(random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const start = Date.parse(options.start ?? '2026-06-01T00:00:00Z');
  const habits: Habit[] = Array.from({ length: options.accounts }, (_, a) => ({
    account: `ACC-${String(a + 1).padStart(4, '0')}`,
    country: pick(COUNTRIES.slice(0, 6)),
    meanLog: Math.log(40) + random() * Math.log(500),
    sdLog: 0.2 + random() * 0.35,
    hour: 7 + Math.floor(random() * 11),
    perDay: 0.4 + random() * 3.5,
    weekendShare: random() < 0.7 ? 0.02 : 0.3,
    counterparties: Array.from({ length: 3 + Math.floor(random() * 6) }, (_, c) => `V-${a + 1}-${c + 1}`),
    type: pick(['wire', 'card', 'ach', 'cash']),
  }));

  const rows: (LabelledTransaction & { at: number })[] = [];
  let serial = 0;
  const add = (habit: Habit, at: number, changes: Partial<LabelledTransaction> = {}) => {
    serial++;
    rows.push({
      id: `TX-${String(serial).padStart(8, '0')}`,
      at,
      occurred_at: new Date(at).toISOString(),
      amount: (Math.exp(habit.meanLog + habit.sdLog * normal()) + 1).toFixed(2),
      currency: 'USD',
      account: habit.account,
      counterparty: random() < 0.96 ? pick(habit.counterparties) : `V-NEW-${serial}`,
      type: habit.type,
      country: habit.country,
      counterparty_country: habit.country,
      channel: 'erp',
      ...changes,
    });
  };
  const dayMs = 86_400_000;
  for (const habit of habits) {
    for (let day = 0; day < options.days; day++) {
      const weekday = new Date(start + day * dayMs).getUTCDay();
      const weekend = weekday === 0 || weekday === 6;
      const expected = habit.perDay * (weekend ? habit.weekendShare * 3 : 1);
      // Poisson arrivals by inversion.
      let count = 0;
      for (let p = Math.exp(-expected), s = p, u = random(); u > s; count++) {
        p *= expected / (count + 1);
        s += p;
      }
      for (let k = 0; k < count; k++) {
        const hour = (habit.hour + Math.round(normal() * 1.2) + 24) % 24;
        add(habit, start + day * dayMs + hour * 3_600_000 + Math.floor(random() * 3_600_000));
      }
    }
  }

  // Planted anomalies, after the first week (an account needs habits first): about a quarter of
  // the planted rows of each kind (a burst is several rows).
  const planted = Math.round(rows.length * options.anomalyRate);
  const kinds: AnomalyKind[] = ['amount', 'odd_hour', 'burst', 'new_counterparty_abroad'];
  const quota = new Map(kinds.map((kind, i) => [kind, Math.floor(planted / 4) + (i < planted % 4 ? 1 : 0)]));
  for (let event = 0; [...quota.values()].some((left) => left > 0); event++) {
    const kind = kinds[event % kinds.length]!;
    const left = quota.get(kind)!;
    if (left <= 0) continue;
    const habit = pick(habits);
    const day = 7 + Math.floor(random() * (options.days - 7));
    const at = start + day * dayMs + habit.hour * 3_600_000 + Math.floor(random() * 3_600_000);
    const amount = (log: number) => Math.exp(habit.meanLog + log).toFixed(2);
    let used = 1;
    if (kind === 'amount') add(habit, at, { amount: amount(3 + random() * 2), anomaly: kind });
    else if (kind === 'odd_hour') {
      const hour = (habit.hour + 10 + Math.floor(random() * 5)) % 24;
      add(habit, start + day * dayMs + hour * 3_600_000 + Math.floor(random() * 3_600_000), {
        amount: amount(1 + random()),
        anomaly: kind,
      });
    } else if (kind === 'burst') {
      used = Math.min(6 + Math.floor(random() * 5), left);
      for (let b = 0; b < used; b++) add(habit, at + b * 240_000, { anomaly: kind });
    } else {
      add(habit, at, {
        counterparty: `V-OFFSHORE-${event}`,
        counterparty_country: pick(COUNTRIES.slice(6)),
        amount: amount(1 + random()),
        anomaly: kind,
      });
    }
    quota.set(kind, left - used);
  }
  return rows.sort((a, b) => a.at - b.at).map(({ at: _at, ...row }) => row);
}

/** Precision among the k highest scores, k the number of anomalies. */
export function precisionAtK(scored: { score: number; anomalous: boolean }[]): number {
  const k = scored.filter((row) => row.anomalous).length;
  const top = [...scored].sort((a, b) => b.score - a.score).slice(0, k);
  return k === 0 ? 0 : top.filter((row) => row.anomalous).length / k;
}

/** ROC AUC by ranks (ties share their average rank). */
export function rocAuc(scored: { score: number; anomalous: boolean }[]): number {
  const sorted = [...scored].sort((a, b) => a.score - b.score);
  let rankSum = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1]!.score === sorted[i]!.score) j++;
    const rank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) if (sorted[k]!.anomalous) rankSum += rank;
    i = j + 1;
  }
  const positives = scored.filter((row) => row.anomalous).length;
  const negatives = scored.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
