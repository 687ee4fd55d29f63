import { eq, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { Database } from '../../db/client';
import { billingEvents, subscriptions } from '../../db/schema';
import { enterTenant, type Tx, uuidLiteral, withTenantFoundBy } from '../../db/tenant';
import { raiseEvents } from '../alerts/events';
import type { Env } from '../env';
import { type Actor, systemActor } from '../platform/audit';
import { log } from '../platform/log';
import { FALLBACK_PLAN, isPlanId, type SubscriptionStatus } from '../subscription/catalogue';
import type { SubscriptionPlan } from '../subscription/plan';
import { applySubscription, lockedSubscription } from '../subscription/service';
import { cancelStripeSubscription } from './stripe';

export const APPLIED_EVENTS = [
  'checkout.session.completed',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.payment_failed',
] as const;

export type WebhookOutcome = { received: true; applied: boolean; duplicate: boolean };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Stripe's subscription statuses, as ours; the others (incomplete) change nothing. */
const STATUS_FROM_STRIPE: Partial<Record<Stripe.Subscription.Status, SubscriptionStatus>> = {
  trialing: 'trialing',
  active: 'active',
  past_due: 'past_due',
  unpaid: 'past_due',
  paused: 'past_due',
  canceled: 'canceled',
  incomplete_expired: 'canceled',
};

/**
 * Applies a verified Stripe event to the organization it names (`metadata.org_id`, else the
 * organization Stripe bills as that customer), once: the event id is recorded in the same
 * transaction as the change, so a replay or a retry changes nothing.
 */
export async function applyStripeEvent(env: Env, db: Database, event: Stripe.Event): Promise<WebhookOutcome> {
  const ignored: WebhookOutcome = { received: true, applied: false, duplicate: false };
  if (!(APPLIED_EVENTS as readonly string[]).includes(event.type)) return ignored;
  const reference = billingReference(event);
  const result = await withTenantFoundBy(
    db,
    (tx) => findSubscription(tx, reference),
    async (tx, found) => {
      const [recorded] = await tx
        .insert(billingEvents)
        .values({ eventId: event.id, orgId: found.orgId, type: event.type })
        .onConflictDoNothing()
        .returning({ eventId: billingEvents.eventId });
      if (!recorded) return { outcome: { ...ignored, duplicate: true }, replaced: null };
      const current = await lockedSubscription(tx, found.orgId);
      return applyEvent(env, tx, systemActor(found.orgId), current, event);
    },
  );
  if (!result) {
    log('warn', 'stripe event for no known organization', { event_id: event.id, type: event.type });
    return ignored;
  }
  // After commit: a subscription replaced by a new Checkout is billed no more.
  if (result.replaced) {
    await cancelStripeSubscription(env, result.replaced).catch((error: unknown) =>
      log('error', 'replaced stripe subscription not canceled', {
        subscription: result.replaced,
        error: String(error),
      }),
    );
  }
  return result.outcome;
}

type Applied = { outcome: WebhookOutcome; replaced: string | null };

async function applyEvent(
  env: Env,
  tx: Tx,
  actor: Actor,
  current: SubscriptionPlan,
  event: Stripe.Event,
): Promise<Applied> {
  const done = (applied: boolean, replaced: string | null = null): Applied => ({
    outcome: { received: true, applied, duplicate: false },
    replaced,
  });
  const via = 'stripe' as const;
  switch (event.type) {
    case 'checkout.session.completed': {
      const session = event.data.object;
      const plan = session.metadata?.plan;
      const paid = session.payment_status === 'paid' || session.payment_status === 'no_payment_required';
      if (session.mode !== 'subscription' || !isPlanId(plan) || !paid) return done(false);
      const subscriptionId = idOf(session.subscription);
      await applySubscription(tx, actor, current, {
        plan,
        status: 'active',
        via,
        eventId: event.id,
        stripe: { customerId: idOf(session.customer), subscriptionId, currentPeriodEnd: null },
      });
      const replaced = current.stripeSubscriptionId !== subscriptionId ? current.stripeSubscriptionId : null;
      return done(true, replaced);
    }
    case 'customer.subscription.updated': {
      const subscription = event.data.object;
      // Events of a subscription this organization no longer pays with (replaced, canceled) change nothing.
      if (subscription.id !== current.stripeSubscriptionId) return done(false);
      const plan = subscription.metadata?.plan;
      const periodEnd = subscription.items?.data?.[0]?.current_period_end;
      await applySubscription(tx, actor, current, {
        plan: isPlanId(plan) ? plan : current.subscribed,
        status: STATUS_FROM_STRIPE[subscription.status] ?? statusOf(current),
        via,
        eventId: event.id,
        stripe: { currentPeriodEnd: periodEnd ? new Date(periodEnd * 1000) : null },
      });
      return done(true);
    }
    case 'customer.subscription.deleted': {
      if (event.data.object.id !== current.stripeSubscriptionId) return done(false);
      await applySubscription(tx, actor, current, {
        plan: FALLBACK_PLAN,
        status: 'canceled',
        via,
        eventId: event.id,
        clear: { stripeSubscription: true, period: true },
      });
      return done(true);
    }
    case 'invoice.payment_failed': {
      const invoice = event.data.object;
      const subscriptionId = idOf(invoice.parent?.subscription_details?.subscription ?? null);
      if (subscriptionId && current.stripeSubscriptionId && subscriptionId !== current.stripeSubscriptionId)
        return done(false);
      await applySubscription(tx, actor, current, {
        plan: current.subscribed,
        status: 'past_due',
        via,
        eventId: event.id,
      });
      const after = await lockedSubscription(tx, actor.orgId);
      await raiseEvents(env, tx, actor.orgId, [
        {
          type: 'billing.payment_failed',
          severity: 'high',
          data: {
            invoice: invoice.id,
            amount_due: invoice.amount_due,
            currency: invoice.currency,
            attempt_count: invoice.attempt_count,
            next_payment_attempt: invoice.next_payment_attempt
              ? new Date(invoice.next_payment_attempt * 1000).toISOString()
              : null,
            hosted_invoice_url: invoice.hosted_invoice_url ?? null,
            plan: after.subscribed,
            grace_period_ends_at: after.graceEndsAt?.toISOString() ?? null,
          },
        },
      ]);
      return done(true);
    }
    default:
      return done(false);
  }
}

function statusOf(current: SubscriptionPlan): SubscriptionStatus {
  return current.status === 'none' ? 'active' : current.status;
}

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (!value) return null;
  return typeof value === 'string' ? value : value.id;
}

type BillingReference = { orgId: string | null; customerId: string | null };

/** Whom the event is about: the metadata the product set at checkout, else Stripe's customer id. */
function billingReference(event: Stripe.Event): BillingReference {
  const object = event.data.object as {
    metadata?: Stripe.Metadata | null;
    customer?: string | { id: string } | null;
    parent?: { subscription_details?: { metadata?: Stripe.Metadata | null } | null } | null;
  };
  const orgId = object.metadata?.org_id ?? object.parent?.subscription_details?.metadata?.org_id ?? null;
  return { orgId: orgId && UUID.test(orgId) ? orgId : null, customerId: idOf(object.customer ?? null) };
}

/**
 * As the system role: the organization's subscription row, entering its tenant context. One
 * condition, on a unique column, so at most one row sets the context.
 */
async function findSubscription(tx: Tx, reference: BillingReference): Promise<{ orgId: string } | undefined> {
  const where = reference.orgId
    ? sql`${subscriptions.orgId} = ${uuidLiteral(reference.orgId)}`
    : reference.customerId
      ? eq(subscriptions.stripeCustomerId, reference.customerId)
      : undefined;
  if (!where) return undefined;
  const [row] = await tx
    .select({ orgId: subscriptions.orgId, tenant: enterTenant(subscriptions.orgId) })
    .from(subscriptions)
    .where(where);
  return row;
}
