import { z } from '@hono/zod-openapi';
import { FEATURES, PLAN_IDS, SUBSCRIPTION_STATUSES } from './catalogue';

const planId = z.enum(PLAN_IDS);
const feature = z.enum(FEATURES);
const limits = z
  .object({
    users: z.number().int().nullable(),
    policies: z.number().int().nullable(),
    rules: z.number().int().nullable().describe('Rules in force (with an approved version); drafts do not count'),
    transactions_per_month: z.number().int().nullable().describe('Per calendar month (UTC)'),
  })
  .describe('null is unlimited');

export const planView = z
  .object({
    id: planId,
    name: z.string(),
    price_monthly: z.number().describe('US dollars a month'),
    limits,
    features: z.array(feature),
  })
  .openapi('Plan');

export const subscriptionView = z
  .object({
    plan: planId.describe('The plan subscribed to'),
    plan_in_force: planId.describe(
      'The plan whose limits and features apply: `plan`, or basic once a trial ended, a payment is overdue past the grace period, or the subscription is canceled',
    ),
    status: z
      .enum([...SUBSCRIPTION_STATUSES, 'none'])
      .describe('`none`: the organization has no subscription record and is held to basic'),
    current_period_end: z.string().describe('End of the trial or billed period; else of the calendar month (UTC)'),
    grace_period_ends_at: z.string().nullable().describe('While past_due: until then features and limits keep working'),
    period: z.string().describe('The calendar month (UTC) transactions are counted in, YYYY-MM'),
    usage: z.object({
      users: z.number().int(),
      policies: z.number().int(),
      rules: z.number().int(),
      transactions_per_month: z.number().int(),
    }),
    limits,
    features: z.array(feature),
    checkout_available: z.boolean().describe('Whether paid plans are bought through Stripe Checkout here'),
    stripe_customer: z.boolean().describe('Whether Stripe bills this organization'),
    history: z
      .array(z.object({ period: z.string(), transactions: z.number().int() }))
      .describe(
        'Transactions of the last 12 months with usage, newest first, as flushed by the hub (up to a minute behind)',
      ),
  })
  .openapi('Subscription');

export const subscriptionStatusView = z
  .object({
    plan: planId,
    plan_in_force: planId,
    status: subscriptionView.shape.status,
    grace_period_ends_at: z.string().nullable(),
  })
  .openapi('SubscriptionStatus');

export const changePlanBody = z.object({ plan: planId }).strict().openapi('ChangePlanRequest');
export const checkoutBody = z.object({ plan: planId }).strict().openapi('CheckoutRequest');
export const checkoutView = z.object({ url: z.url() }).openapi('Checkout');

export const overrideBody = z
  .object({ plan: planId.optional(), status: z.enum(SUBSCRIPTION_STATUSES).optional() })
  .strict()
  .refine((body) => body.plan !== undefined || body.status !== undefined, 'Give a plan, a status or both.')
  .openapi('SubscriptionOverride');

export type SubscriptionView = z.infer<typeof subscriptionView>;
