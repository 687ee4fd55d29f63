import { bigint, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { rules } from './rules';
import { organizations, users } from './tenancy';

/** What a version changed against the one before it, by clause key. */
export type PolicyVersionChanges = { previous_version: number; added: string[]; removed: string[]; changed: string[] };

export const policies = pgTable(
  'policies',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    framework: text('framework'),
    currentVersion: integer('current_version').notNull().default(1),
    status: text('status').notNull().default('active'),
    createdBy: uuid('created_by').references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('policies_org_idx').on(t.orgId, t.createdAt)],
);

export const policyVersions = pgTable(
  'policy_versions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    policyId: uuid('policy_id')
      .notNull()
      .references(() => policies.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    fileName: text('file_name').notNull(),
    contentType: text('content_type').notNull(),
    format: text('format').notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    sha256: text('sha256').notNull(),
    objectKey: text('object_key').notNull(),
    text: text('text').notNull(),
    /** Null for the first version. */
    changes: jsonb('changes').$type<PolicyVersionChanges>(),
    /** Which extractor proposed this version's drafts: `deterministic` or `llm:<model>`. */
    extractor: text('extractor').notNull().default('deterministic'),
    uploadedBy: uuid('uploaded_by').references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('policy_versions_policy_version_unique').on(t.policyId, t.version),
    index('policy_versions_org_idx').on(t.orgId),
  ],
);

export const policyClauses = pgTable(
  'policy_clauses',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    policyId: uuid('policy_id')
      .notNull()
      .references(() => policies.id, { onDelete: 'cascade' }),
    policyVersionId: uuid('policy_version_id')
      .notNull()
      .references(() => policyVersions.id, { onDelete: 'cascade' }),
    /** Stable across versions, derived from the numbering ("2.3", "section-4-b"): what rules cite. */
    clauseKey: text('clause_key').notNull(),
    number: text('number').notNull(),
    heading: text('heading'),
    text: text('text').notNull(),
    spanStart: integer('span_start').notNull(),
    spanEnd: integer('span_end').notNull(),
    ordinal: integer('ordinal').notNull(),
    /** The clause's obligations that no draft enforces (deadlines, retention, training ...), as sentences. */
    notEnforced: jsonb('not_enforced').$type<string[]>().notNull().default([]),
  },
  (t) => [
    uniqueIndex('policy_clauses_version_key_unique').on(t.policyVersionId, t.clauseKey),
    index('policy_clauses_policy_idx').on(t.orgId, t.policyId),
  ],
);

/** Where each rule extracted from a policy came from: the version and clause, and what the extractor read. */
export const policyRuleOrigins = pgTable(
  'policy_rule_origins',
  {
    ruleId: uuid('rule_id')
      .primaryKey()
      .references(() => rules.id, { onDelete: 'cascade' }),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    policyId: uuid('policy_id')
      .notNull()
      .references(() => policies.id, { onDelete: 'cascade' }),
    policyVersionId: uuid('policy_version_id')
      .notNull()
      .references(() => policyVersions.id, { onDelete: 'cascade' }),
    clauseKey: text('clause_key').notNull(),
    reason: text('reason').notNull(),
    /** Extraction order within the version: document order of the sentences. */
    ordinal: integer('ordinal').notNull(),
    /** Each mapping from the policy's words to fields and stored values, as sentences. */
    assumptions: jsonb('assumptions').$type<string[]>().notNull().default([]),
    /** The parts of the sentence the rule does not enforce. */
    notEnforced: jsonb('not_enforced').$type<string[]>().notNull().default([]),
    /** The draft as extracted, before grounding on the organization's data: what re-grounding starts from. */
    extracted: jsonb('extracted').$type<{ condition: unknown; assumptions: string[] }>(),
    /** grounded | partial | ungrounded (no data when it was proposed). */
    grounding: text('grounding').notNull().default('grounded'),
  },
  (t) => [index('policy_rule_origins_version_idx').on(t.orgId, t.policyVersionId)],
);
