import type { AnomalyFactor } from '../../db/schema';
import type { Tx } from '../../db/tenant';
import { explainScore, loadModels } from './scoring';

/**
 * What a reader selects of a transaction to show its anomaly factors: the factors themselves where
 * a scoring before migration 0015 stored them, else the vector its score was computed from and the
 * model that computed it (worker/risk/scoring.ts).
 */
export type StoredScore = {
  anomalyFactors: AnomalyFactor[] | null;
  anomalyFeatures: number[] | null;
  anomalyModelId: string | null;
};

/**
 * The rows with their anomaly factors, computed on read: ingestion stores only the score and its
 * vector, since explaining costs a scoring per feature. The models come from the isolate's cache,
 * or one statement for those not in it.
 */
export async function withAnomalyFactors<Row extends StoredScore>(
  tx: Tx,
  rows: Row[],
): Promise<(Row & { anomalyFactors: AnomalyFactor[] })[]> {
  const ids = new Set<string>();
  for (const row of rows) if (row.anomalyFeatures && row.anomalyModelId) ids.add(row.anomalyModelId);
  const models = ids.size === 0 ? new Map() : await loadModels(tx, [...ids]);
  return rows.map((row) => {
    if (row.anomalyFactors) return { ...row, anomalyFactors: row.anomalyFactors };
    const model = row.anomalyModelId === null ? undefined : models.get(row.anomalyModelId);
    return { ...row, anomalyFactors: model ? explainScore(model, row.anomalyFeatures) : [] };
  });
}

/** A `float8[]` as a statement without drizzle's column mapping returns it: `{1.5,2}` text. */
export function storedVector(value: string | number[] | null): number[] | null {
  if (value === null || Array.isArray(value)) return value;
  return value === '{}' ? [] : value.slice(1, -1).split(',').map(Number);
}
