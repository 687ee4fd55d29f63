import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { organizations, users } from './tenancy';

/**
 * One training of an organization's anomaly model (worker/risk/): `version` counts up per
 * organization, `model` holds the serialized isolation forest, `statistics` what it was trained on.
 * The newest `ready` version scores transactions.
 */
export const riskModels = pgTable(
  'risk_models',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    /** training | ready | failed */
    status: text('status').notNull().default('training'),
    /** manual | schedule */
    trigger: text('trigger').notNull(),
    requestedBy: uuid('requested_by').references(() => users.id, { onDelete: 'set null' }),
    /** The feature names, in the order of the model's vectors. */
    features: jsonb('features').$type<string[]>().notNull().default([]),
    /** How many transactions the forest was fitted on (the sample), and how many were stored. */
    transactions: integer('transactions').notNull().default(0),
    statistics: jsonb('statistics').$type<Record<string, unknown>>().notNull().default({}),
    model: jsonb('model').$type<unknown>(),
    /** The stored transactions the training run scores, chunk by chunk, and how many are done. */
    scoringTotal: integer('scoring_total').notNull().default(0),
    scoringChunks: integer('scoring_chunks').notNull().default(0),
    scoringChunksDone: integer('scoring_chunks_done').notNull().default(0),
    error: text('error'),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull().defaultNow(),
    trainedAt: timestamp('trained_at', { withTimezone: true }),
    scoredAt: timestamp('scored_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('risk_models_org_version_unique').on(t.orgId, t.version),
    index('risk_models_org_ready_idx').on(t.orgId, t.version).where(sql`status = 'ready'`),
  ],
);
