import {
  bigint,
  boolean,
  doublePrecision,
  index,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { organizations, users } from './tenancy';

export type AnomalyFactor = { feature: string; value: number; contribution: number };

/** An ERP webhook endpoint; the signing secret is stored AES-GCM encrypted under SOURCE_SECRET_KEY. */
export const ingestSources = pgTable(
  'ingest_sources',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    mapping: jsonb('mapping').notNull().default({}),
    secretCiphertext: text('secret_ciphertext').notNull(),
    /** The secret replaced by a rotation stays valid until `previousSecretExpiresAt`. */
    previousSecretCiphertext: text('previous_secret_ciphertext'),
    previousSecretExpiresAt: timestamp('previous_secret_expires_at', { withTimezone: true }),
    isActive: boolean('is_active').notNull().default(true),
    createdBy: uuid('created_by').references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('ingest_sources_org_idx').on(t.orgId)],
);

export const transactions = pgTable(
  'transactions',
  {
    /** Internal key, also the order scans chunk by. */
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    /** The id as pushed by the ERP: the idempotency key. */
    externalId: text('external_id').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    amount: numeric('amount', { precision: 20, scale: 4 }).notNull(),
    currency: text('currency').notNull(),
    account: text('account').notNull(),
    counterparty: text('counterparty'),
    type: text('type'),
    country: text('country'),
    counterpartyCountry: text('counterparty_country'),
    channel: text('channel'),
    attributes: jsonb('attributes').$type<Record<string, unknown>>().notNull().default({}),
    sourceId: uuid('source_id').references(() => ingestSources.id, { onDelete: 'set null' }),
    ingestedAt: timestamp('ingested_at', { withTimezone: true }).notNull().defaultNow(),
    /** The organization's anomaly model's score in [0, 1] (worker/risk/), null before the first model. */
    anomalyScore: numeric('anomaly_score', { precision: 5, scale: 4 }),
    /**
     * The features that raised the score most, `[{feature, value, contribution}]`, as stored by
     * scorings before migration 0015; since then they are computed on read from the two below.
     */
    anomalyFactors: jsonb('anomaly_factors').$type<AnomalyFactor[]>(),
    /**
     * The feature vector the score was computed from (worker/risk/features.ts), kept only where the
     * score is explained (0.5 or more): what explaining it on read needs, with the model below.
     */
    anomalyFeatures: doublePrecision('anomaly_features').array(),
    /** The anomaly model that scored the transaction (no foreign key: a check per row on ingestion). */
    anomalyModelId: uuid('anomaly_model_id'),
  },
  (t) => [
    uniqueIndex('transactions_org_external_unique').on(t.orgId, t.externalId),
    // Windowed rules group by account or counterparty and range over occurred_at. Both indexes
    // also INCLUDE the columns window members are read for (migration 0009; drizzle-kit cannot say so).
    index('transactions_org_account_time_idx').on(t.orgId, t.account, t.occurredAt),
    index('transactions_org_counterparty_time_idx').on(t.orgId, t.counterparty, t.occurredAt),
    index('transactions_org_time_idx').on(t.orgId, t.occurredAt),
    index('transactions_org_ingested_idx').on(t.orgId, t.ingestedAt),
  ],
);
