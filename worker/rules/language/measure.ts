/**
 * What one aggregate measured over one transaction's window set, as the compiled SQL returns it
 * (a jsonb object) and as `measureAggregates` computes it in JavaScript. Decimals travel as
 * normalized strings, so both paths produce identical measures.
 */
export interface AggregateMeasure {
  /** The function's value ("0.3", "4"); null when avg, min or max have nothing to measure. avg is rounded to 4 places. */
  value: string | null;
  /** The exact sum for sum and avg ("0" over nothing), so avg compares exactly as sum against value x count; null otherwise. */
  sum: string | null;
  /** How many window transactions contributed: all of them for count, those with a value in the field otherwise. */
  count: number;
  /** External ids of up to 50 contributing transactions, newest first (ties by id, descending). */
  ids: string[];
}

export const AVERAGE_PLACES = 4;
export const MAX_EVIDENCE_IDS = 50;
