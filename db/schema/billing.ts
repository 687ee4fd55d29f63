import { bigint, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { organizations } from './tenancy';

/** One `usage.limit_near` per organization, period (YYYY-MM, UTC) and limit: raised once. */
export const usageNotices = pgTable(
  'usage_notices',
  {
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    period: text('period').notNull(),
    limitName: text('limit_name').notNull(),
    used: bigint('used', { mode: 'number' }).notNull(),
    allowed: bigint('allowed', { mode: 'number' }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.period, t.limitName] })],
);

/** Stripe events applied, by Stripe's event id: a replayed or retried event changes nothing. */
export const billingEvents = pgTable('billing_events', {
  eventId: text('event_id').primaryKey(),
  orgId: uuid('org_id')
    .notNull()
    .references(() => organizations.id, { onDelete: 'cascade' }),
  type: text('type').notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
});
