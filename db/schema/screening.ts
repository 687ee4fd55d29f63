import { sql } from 'drizzle-orm';
import {
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { organizations, users } from './tenancy';

/** A sanctions or watch list; every upload makes a new version, and only `currentVersion` is screened against. */
export const screeningLists = pgTable(
  'screening_lists',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    currentVersion: integer('current_version').notNull().default(1),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('screening_lists_org_idx').on(t.orgId, t.createdAt)],
);

/** One upload of a list: its file's format and what it held. */
export const screeningListVersions = pgTable(
  'screening_list_versions',
  {
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    listId: uuid('list_id')
      .notNull()
      .references(() => screeningLists.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    /** csv | ftm */
    format: text('format').notNull(),
    fileName: text('file_name'),
    entries: integer('entries').notNull(),
    names: integer('names').notNull(),
    uploadedBy: uuid('uploaded_by').references(() => users.id, { onDelete: 'set null' }),
    uploadedAt: timestamp('uploaded_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.listId, t.version] })],
);

/** A listed person, organization or vessel as uploaded; `entryId` is its id in the file. */
export const screeningEntries = pgTable(
  'screening_entries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    listId: uuid('list_id')
      .notNull()
      .references(() => screeningLists.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    entryId: text('entry_id').notNull(),
    name: text('name').notNull(),
    aliases: text('aliases').array().notNull(),
    /** person | organization | vessel */
    type: text('type').notNull(),
    country: text('country'),
    program: text('program'),
  },
  (t) => [
    uniqueIndex('screening_entries_version_entry_idx').on(t.listId, t.version, t.entryId),
    index('screening_entries_org_idx').on(t.orgId),
  ],
);

/** Each name and alias of an entry, normalised: `normalized` (folded tokens) and `phonetic` (their phonetic keys). */
export const screeningNames = pgTable(
  'screening_names',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    listId: uuid('list_id')
      .notNull()
      .references(() => screeningLists.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    entryRef: uuid('entry_ref')
      .notNull()
      .references(() => screeningEntries.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    normalized: text('normalized').notNull(),
    phonetic: text('phonetic').notNull(),
  },
  (t) => [index('screening_names_entry_idx').on(t.entryRef), index('screening_names_org_idx').on(t.orgId)],
);

/**
 * Candidate generation: the blocking keys of each name (worker/screening/names.ts). A search
 * reads the rows of its own keys through the index, and ranks names by the keys they share.
 */
export const screeningNameKeys = pgTable(
  'screening_name_keys',
  {
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    listId: uuid('list_id')
      .notNull()
      .references(() => screeningLists.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    nameId: uuid('name_id')
      .notNull()
      .references(() => screeningNames.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
  },
  (t) => [
    index('screening_name_keys_key_idx').on(t.key, t.orgId, t.listId, t.version, t.nameId),
    index('screening_name_keys_name_idx').on(t.nameId),
  ],
);

/**
 * The best match of a screened value (a rule's field value) in a list version, computed once by
 * the scorer and read by the rule language's `screen` in SQL: both evaluators read the same score.
 */
export const screeningResults = pgTable(
  'screening_results',
  {
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    listId: uuid('list_id')
      .notNull()
      .references(() => screeningLists.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    subjectHash: text('subject_hash').notNull(),
    subject: text('subject').notNull(),
    /** 0 to 1, four decimals; 0 when no entry came close. */
    score: numeric('score', { precision: 5, scale: 4 }).notNull(),
    /** `{entry_id, name, matched_name, type, country, program, explanation}` of the best match, or null. */
    best: jsonb('best').$type<Record<string, unknown> | null>(),
    screenedAt: timestamp('screened_at', { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [
    primaryKey({ columns: [t.listId, t.version, t.subjectHash] }),
    index('screening_results_org_idx').on(t.orgId),
  ],
);
