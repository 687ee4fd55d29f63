import type { Severity } from './schema';

export const SEVERITY_SCORES: Record<Severity, number> = { critical: 100, high: 75, medium: 50, low: 25 };

/**
 * Contract section 12: round(100 x (0.7 x s + 0.3 x a)), s = 0.25, 0.5, 0.75, 1 by severity and a
 * the transaction's anomaly score (0 without one). Computed in integers of ten-thousandths (the
 * anomaly score has 4 decimals), so 0.7 x 0.25 x 100 is 17.5 exactly and rounds to 18.
 */
export function riskScore(severity: Severity, anomalyScore = 0): number {
  const anomaly = Number.isFinite(anomalyScore) ? Math.min(Math.max(anomalyScore, 0), 1) : 0;
  const tenThousandths = 7_000 * SEVERITY_SCORES[severity] + (3_000 * Math.round(anomaly * 10_000)) / 100;
  return Math.round(tenThousandths / 10_000);
}
