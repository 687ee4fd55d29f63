import type { Severity } from './schema';

export const SEVERITY_SCORES: Record<Severity, number> = { critical: 100, high: 75, medium: 50, low: 25 };

/**
 * 0.7 x severity score + 0.3 x anomaly score (0..1) x 100, rounded to 2 decimals. Computed in
 * hundredths, so 0.7 x 75 is 52.5 and not 52.49999.
 */
export function riskScore(severity: Severity, anomalyScore = 0): number {
  const anomaly = Number.isFinite(anomalyScore) ? Math.min(Math.max(anomalyScore, 0), 1) : 0;
  return Math.round(70 * SEVERITY_SCORES[severity] + 3000 * anomaly) / 100;
}
