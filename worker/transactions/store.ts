import { z } from '@hono/zod-openapi';
import { and, desc, eq, gte, lt, lte, type SQL, sql } from 'drizzle-orm';
import { transactions, violations } from '../../db/schema';
import { afterCommit, type Tx } from '../../db/tenant';
import { utcText } from '../../db/text';
import { countingTransactions } from '../overview/counters';
import { pastKey } from '../platform/keyset';
import { count } from '../platform/metrics';
import { decodeCursor } from '../platform/pagination';
import { formatInstant } from '../platform/timestamps';
import type { Score } from '../risk/scoring';
import type { CanonicalTransaction } from './canonical';

/**
 * Stores a batch in one statement: the rows travel as a single JSON parameter expanded by
 * json_to_recordset (far cheaper than thousands of bind parameters). A repeated id changes
 * nothing. Returns the internal id of each newly stored row by its external id.
 */
export async function insertTransactions(
  tx: Tx,
  orgId: string,
  sourceId: string | null,
  rows: CanonicalTransaction[],
): Promise<Map<string, number>> {
  if (rows.length === 0) return new Map();
  // The overview's monthly counts are kept by the same statement (worker/overview/counters.ts).
  const stored = await tx.execute<{ id: string; external_id: string }>(
    countingTransactions(insertStatement(orgId, sourceId, rows), sql`select id, external_id from stored`),
  );
  afterCommit(tx, () => count('nitilens_transactions_ingested_total', {}, stored.length));
  return new Map(stored.map((row) => [row.external_id, Number(row.id)]));
}

/** An upload batch's anomaly scores, by position, and the model that computed them (worker/risk/scoring.ts). */
export type BatchScores = { modelId: string; scores: Score[] };

/**
 * The same insert for an upload batch, which needs only how many rows were new: ids repeated
 * within the batch or already stored are skipped by ON CONFLICT, so the command's row count is the
 * number of new transactions. Not returning 5,000 rows a batch saves Postgres and the isolate work.
 * With `scored`, each row is stored with its anomaly score and what explaining it needs.
 */
export async function storeTransactions(
  tx: Tx,
  orgId: string,
  sourceId: string | null,
  rows: CanonicalTransaction[],
  scored?: BatchScores,
): Promise<number> {
  if (rows.length === 0) return 0;
  // The overview's monthly counts are kept by the same statement (worker/overview/counters.ts).
  const [result] = await tx.execute<{ stored: number }>(
    countingTransactions(
      insertStatement(orgId, sourceId, rows, scored),
      sql`select count(*)::int as stored from stored`,
    ),
  );
  const stored = result?.stored ?? 0;
  afterCommit(tx, () => count('nitilens_transactions_ingested_total', {}, stored));
  return stored;
}

function insertStatement(
  orgId: string,
  sourceId: string | null,
  rows: CanonicalTransaction[],
  scored?: BatchScores,
): SQL {
  if (scored) {
    const withScores = rows.map((row, i) => ({
      ...row,
      anomaly_score: scored.scores[i]!.score,
      anomaly_features: scored.scores[i]!.features,
    }));
    // One model scored the whole batch: its id is one parameter, not a field of every row.
    return sql`
    insert into transactions (org_id, external_id, occurred_at, amount, currency, account, counterparty, type,
      country, counterparty_country, channel, attributes, source_id, anomaly_score, anomaly_features, anomaly_model_id)
    select ${orgId}::uuid, r.id, r.occurred_at, r.amount, r.currency, r.account, r.counterparty, r.type,
      r.country, r.counterparty_country, r.channel, r.attributes, ${sourceId}::uuid, r.anomaly_score,
      r.anomaly_features, ${scored.modelId}::uuid
    from json_to_recordset(${JSON.stringify(withScores)}::json) as r(id text, occurred_at timestamptz, amount numeric,
      currency text, account text, counterparty text, type text, country text, counterparty_country text,
      channel text, attributes jsonb, anomaly_score numeric, anomaly_features float8[])
    on conflict (org_id, external_id) do nothing`;
  }
  return sql`
    insert into transactions (org_id, external_id, occurred_at, amount, currency, account, counterparty, type,
      country, counterparty_country, channel, attributes, source_id)
    select ${orgId}::uuid, r.id, r.occurred_at, r.amount, r.currency, r.account, r.counterparty, r.type,
      r.country, r.counterparty_country, r.channel, r.attributes, ${sourceId}::uuid
    from json_to_recordset(${JSON.stringify(rows)}::json) as r(id text, occurred_at timestamptz, amount numeric,
      currency text, account text, counterparty text, type text, country text, counterparty_country text,
      channel text, attributes jsonb)
    on conflict (org_id, external_id) do nothing`;
}

/** Which of these external ids are already stored. */
export async function existingExternalIds(tx: Tx, externalIds: string[]): Promise<Set<string>> {
  if (externalIds.length === 0) return new Set();
  const rows = await tx.execute<{ external_id: string }>(sql`
    select external_id from transactions
    where external_id in (select json_array_elements_text(${JSON.stringify(externalIds)}::json))`);
  return new Set(rows.map((row) => row.external_id));
}

type TransactionFilters = {
  account?: string | undefined;
  type?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  minAmount?: string | undefined;
  maxAmount?: string | undefined;
};

/** The sort key of the listing: newest first, then by id as pushed. */
const transactionCursor = z.tuple([z.string().max(64), z.string().max(128)]);

/**
 * A stored transaction as the rule evaluator reads it (a CanonicalTransaction and its internal id),
 * over the alias `t`: the same values as the API's columns below, in snake case.
 */
export const canonicalColumns = sql`t.id as internal_id, t.external_id as id,
  ${utcText(sql`t.occurred_at`)} as occurred_at,
  trim_scale(t.amount)::text as amount, t.currency, t.account, t.counterparty, t.type, t.country,
  t.counterparty_country, t.channel, t.attributes, trim_scale(t.anomaly_score)::text as anomaly_score`;

/** A stored transaction as the API shows it (toTransactionView). */
const transactionColumns = {
  internalId: transactions.id,
  id: transactions.externalId,
  occurredAt: utcText(transactions.occurredAt),
  amount: sql<string>`trim_scale(${transactions.amount})::text`,
  currency: transactions.currency,
  account: transactions.account,
  counterparty: transactions.counterparty,
  type: transactions.type,
  country: transactions.country,
  counterpartyCountry: transactions.counterpartyCountry,
  channel: transactions.channel,
  attributes: transactions.attributes,
  sourceId: transactions.sourceId,
  ingestedAt: transactions.ingestedAt,
  anomalyScore: transactions.anomalyScore,
  anomalyFactors: transactions.anomalyFactors,
  anomalyFeatures: transactions.anomalyFeatures,
  anomalyModelId: transactions.anomalyModelId,
};

type TransactionRow = Awaited<ReturnType<typeof findTransaction>> & {};

export async function listTransactions(tx: Tx, filters: TransactionFilters, cursor: string | undefined, limit: number) {
  const after = decodeCursor(cursor, transactionCursor);
  const conditions: (SQL | undefined)[] = [
    filters.account === undefined ? undefined : eq(transactions.account, filters.account),
    filters.type === undefined ? undefined : eq(transactions.type, filters.type),
    filters.from === undefined ? undefined : gte(transactions.occurredAt, sql`${filters.from}::timestamptz`),
    filters.to === undefined ? undefined : lt(transactions.occurredAt, sql`${filters.to}::timestamptz`),
    filters.minAmount === undefined ? undefined : gte(transactions.amount, sql`${filters.minAmount}::numeric`),
    filters.maxAmount === undefined ? undefined : lte(transactions.amount, sql`${filters.maxAmount}::numeric`),
    after &&
      pastKey(
        'desc',
        [transactions.occurredAt, transactions.externalId],
        [sql`${after[0]}::timestamptz`, sql`${after[1]}`],
      ),
  ];
  return tx
    .select(transactionColumns)
    .from(transactions)
    .where(and(...conditions))
    .orderBy(desc(transactions.occurredAt), desc(transactions.externalId))
    .limit(limit + 1);
}

export async function findTransaction(tx: Tx, externalId: string) {
  const [row] = await tx
    .select(transactionColumns)
    .from(transactions)
    .where(eq(transactions.externalId, externalId))
    .limit(1);
  return row;
}

export async function violationsOf(tx: Tx, transactionId: number) {
  return tx
    .select({
      id: violations.id,
      ruleId: violations.ruleId,
      ruleVersion: violations.ruleVersion,
      severity: violations.severity,
      riskScore: violations.riskScore,
      explanation: violations.explanation,
      evidence: violations.evidence,
      status: violations.status,
      detectedAt: violations.detectedAt,
    })
    .from(violations)
    .where(eq(violations.transactionId, transactionId))
    .orderBy(desc(violations.detectedAt));
}

/** The canonical shape (contract section 4), as stored: amount as an exact decimal string, instants in UTC. */
export function toTransactionView(row: NonNullable<TransactionRow>) {
  return {
    id: row.id,
    occurred_at: formatInstant(row.occurredAt),
    amount: row.amount,
    currency: row.currency,
    account: row.account,
    counterparty: row.counterparty,
    type: row.type,
    country: row.country,
    counterparty_country: row.counterpartyCountry,
    channel: row.channel,
    attributes: row.attributes,
    source_id: row.sourceId,
    ingested_at: row.ingestedAt.toISOString(),
    anomaly_score: row.anomalyScore === null ? null : Number(row.anomalyScore),
    anomaly_factors: row.anomalyFactors ?? [],
  };
}
