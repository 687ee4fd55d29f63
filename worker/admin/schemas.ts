import { z } from '@hono/zod-openapi';
import { pageQuery } from '../platform/pagination';

export const organizationsQuery = pageQuery;
export const organizationSummaryView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    created_at: z.string(),
    plan: z.string().nullable(),
    subscription_status: z.string().nullable(),
    active_users: z.number().int(),
    transactions_this_month: z.number().int(),
  })
  .openapi('OrganizationSummary');

const limited = (what: string) =>
  z.object({
    used: z.number().int(),
    limit: z.number().int().nullable().describe(`The plan's ${what} limit; null is unlimited`),
  });

export const organizationUsageView = z
  .object({
    organization: z.object({ id: z.uuid(), name: z.string(), created_at: z.string() }),
    plan: z.object({
      id: z.string(),
      name: z.string(),
      status: z.string().describe('`none` for an organization without a subscription, held to the basic plan'),
    }),
    period: z.string().describe('The current calendar month (UTC), YYYY-MM'),
    users: limited('active users'),
    policies: limited('policies'),
    transactions: limited('transactions per month'),
    history: z
      .array(z.object({ period: z.string(), transactions: z.number().int() }))
      .describe('The last 12 months with usage, newest first'),
  })
  .openapi('OrganizationUsage');

export type OrganizationSummaryView = z.infer<typeof organizationSummaryView>;
export type OrganizationUsageView = z.infer<typeof organizationUsageView>;
