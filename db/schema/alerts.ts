import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { organizations, users } from './tenancy';

/** Where alerts go: a Slack incoming webhook, email recipients, or a signed webhook endpoint. */
export const alertChannels = pgTable(
  'alert_channels',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** slack | email | webhook */
    type: text('type').notNull(),
    /** What may be shown again: email `{to}`, webhook `{url}`, slack `{url_hint}` (its URL is a credential). */
    config: jsonb('config').$type<Record<string, unknown>>().notNull(),
    /** AES-GCM: the Slack webhook URL, or the webhook signing secret. */
    secretCiphertext: text('secret_ciphertext').notNull(),
    /** A webhook's secret before a rotation keeps signing beside the new one until it expires. */
    previousSecretCiphertext: text('previous_secret_ciphertext'),
    previousSecretExpiresAt: timestamp('previous_secret_expires_at', { withTimezone: true }),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('alert_channels_org_idx').on(t.orgId, t.createdAt)],
);

/** Which events go to a channel: by type, minimum severity and rules; at once or in a digest. */
export const alertRoutes = pgTable(
  'alert_routes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    channelId: uuid('channel_id')
      .notNull()
      .references(() => alertChannels.id, { onDelete: 'cascade' }),
    events: text('events').array().notNull(),
    minSeverity: text('min_severity'),
    ruleIds: uuid('rule_ids').array(),
    /** immediate | digest */
    mode: text('mode').notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('alert_routes_org_idx').on(t.orgId, t.createdAt)],
);

/**
 * One message to one channel (an event, a digest or a test) and its delivery state. Its id is the
 * `webhook-id` of every attempt. `round` counts redeliveries: a queue message of an earlier round
 * is stale.
 */
export const alertDeliveries = pgTable(
  'alert_deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    channelId: uuid('channel_id')
      .notNull()
      .references(() => alertChannels.id, { onDelete: 'cascade' }),
    routeId: uuid('route_id').references(() => alertRoutes.id, { onDelete: 'set null' }),
    eventType: text('event_type').notNull(),
    /** `{type, timestamp, data}`: the webhook body as sent, and what Slack and email messages are made from. */
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    /** pending | delivered | failed */
    status: text('status').notNull().default('pending'),
    round: integer('round').notNull().default(0),
    attempts: integer('attempts').notNull().default(0),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).default(sql`now()`),
    /** An attempt in flight holds the delivery until then, so a duplicate queue message does not send twice. */
    leasedUntil: timestamp('leased_until', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    /** When it was delivered or failed for good: the end of its job (worker/operations/jobs.ts). */
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    index('alert_deliveries_org_created_idx').on(t.orgId, t.createdAt),
    index('alert_deliveries_channel_idx').on(t.orgId, t.channelId, t.createdAt),
    // The sweeper's scan for deliveries whose queue message went missing.
    index('alert_deliveries_pending_idx').on(t.nextAttemptAt).where(sql`status = 'pending'`),
  ],
);

/** Events waiting for their route's next digest; the digest deletes what it folds in. */
export const alertDigestItems = pgTable(
  'alert_digest_items',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    routeId: uuid('route_id')
      .notNull()
      .references(() => alertRoutes.id, { onDelete: 'cascade' }),
    eventType: text('event_type').notNull(),
    severity: text('severity'),
    ruleId: uuid('rule_id'),
    /** `{type, timestamp, data}` as an immediate delivery would carry it. */
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('alert_digest_items_route_idx').on(t.routeId, t.createdAt)],
);
