import { index, integer, jsonb, numeric, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { policies } from './policies';
import { organizations, users } from './tenancy';

/** A rule is a sequence of immutable versions; `activeVersion` is the approved one being evaluated. */
export const rules = pgTable(
  'rules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    latestVersion: integer('latest_version').notNull().default(1),
    activeVersion: integer('active_version'),
    policyId: uuid('policy_id').references(() => policies.id, { onDelete: 'set null' }),
    createdBy: uuid('created_by').references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('rules_org_idx').on(t.orgId, t.createdAt), index('rules_policy_idx').on(t.orgId, t.policyId)],
);

export const ruleVersions = pgTable(
  'rule_versions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    ruleId: uuid('rule_id')
      .notNull()
      .references(() => rules.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    severity: text('severity').notNull(),
    condition: jsonb('condition').notNull(),
    policyId: uuid('policy_id').references(() => policies.id, { onDelete: 'set null' }),
    clauseRef: text('clause_ref'),
    sourceText: text('source_text'),
    confidence: numeric('confidence', { precision: 4, scale: 3 }),
    /** draft | approved | rejected | superseded */
    status: text('status').notNull().default('draft'),
    createdBy: uuid('created_by').references(() => users.id),
    decidedBy: uuid('decided_by').references(() => users.id),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    decisionComment: text('decision_comment'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('rule_versions_rule_version_unique').on(t.ruleId, t.version),
    index('rule_versions_status_idx').on(t.orgId, t.status),
    index('rule_versions_policy_idx').on(t.orgId, t.policyId),
  ],
);
