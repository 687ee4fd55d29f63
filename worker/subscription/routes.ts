import { withTenant } from '../../db/tenant';
import { orgHub } from '../../durable-objects/org-hub';
import { checkoutTerms, recordCheckoutStarted } from '../billing/checkout';
import { createCheckoutSession } from '../billing/stripe';
import { actorOf } from '../platform/audit';
import { createRouter, defineRoute } from '../platform/openapi';
import { jsonBody, jsonResponse, problemOf, problemResponses } from '../platform/responses';
import { PLANS } from './catalogue';
import { subscriptionPlan } from './plan';
import {
  changePlanBody,
  checkoutBody,
  checkoutView,
  planView,
  subscriptionStatusView,
  subscriptionView,
} from './schemas';
import { changePlan, toSubscriptionView } from './service';

export const plansRoutes = createRouter();
export const subscriptionRoutes = createRouter();

const catalogue = defineRoute(
  { public: true, reason: 'The price list: what each plan costs, allows and includes' },
  {
    method: 'get',
    path: '/',
    tags: ['subscription'],
    summary: 'The plans, with their prices, limits and features',
    responses: { 200: jsonResponse(planView.array(), 'Every plan, from basic to enterprise') },
  },
);
plansRoutes.openapi(catalogue, (c) => c.json([...PLANS], 200));

const current = defineRoute(
  { permission: 'subscription:manage' },
  {
    method: 'get',
    path: '/',
    tags: ['subscription'],
    summary: "The organization's plan, status, usage against its limits, and features",
    responses: { 200: jsonResponse(subscriptionView, 'The subscription'), ...problemResponses },
  },
);
subscriptionRoutes.openapi(current, async (c) => {
  const { orgId } = c.var.caller;
  // Read before the tenant transaction: the hub may itself need the database on a new month.
  const metered = await orgHub(c.env, orgId).currentUsage(orgId);
  return c.json(await withTenant(c.var.database(), orgId, (tx) => toSubscriptionView(c.env, tx, orgId, metered)), 200);
});

const status = defineRoute(
  { permission: 'data:read' },
  {
    method: 'get',
    path: '/status',
    tags: ['subscription'],
    summary: 'The plan and billing status, for every member (the dashboard warns of an overdue payment)',
    responses: { 200: jsonResponse(subscriptionStatusView, 'The billing status'), ...problemResponses },
  },
);
subscriptionRoutes.openapi(status, async (c) => {
  const plan = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => subscriptionPlan(tx, c.var.caller.orgId));
  return c.json(
    {
      plan: plan.subscribed,
      plan_in_force: plan.id,
      status: plan.status,
      grace_period_ends_at: plan.graceEndsAt?.toISOString() ?? null,
    },
    200,
  );
});

const change = defineRoute(
  { permission: 'subscription:manage' },
  {
    method: 'post',
    path: '/change',
    tags: ['subscription'],
    summary: 'Change the plan: an upgrade applies at once, a downgrade only when the usage fits the new limits',
    request: { body: jsonBody(changePlanBody) },
    responses: {
      200: jsonResponse(subscriptionView, 'The subscription on its new plan'),
      ...problemResponses,
      402: problemOf('With Stripe billing on, a paid plan is bought through Checkout'),
      409: problemOf('A downgrade the current usage exceeds: `exceeded` names each limit'),
    },
  },
);
subscriptionRoutes.openapi(change, async (c) => {
  const { orgId } = c.var.caller;
  const metered = await orgHub(c.env, orgId).currentUsage(orgId);
  const view = await withTenant(c.var.database(), orgId, async (tx) => {
    await changePlan(c.env, tx, actorOf(c), { plan: c.req.valid('json').plan, metered });
    return toSubscriptionView(c.env, tx, orgId, metered);
  });
  return c.json(view, 200);
});

const checkout = defineRoute(
  { permission: 'subscription:manage' },
  {
    method: 'post',
    path: '/checkout',
    tags: ['subscription'],
    summary: 'Start a Stripe Checkout session for a paid plan',
    description:
      "Answers the session's URL: send the user there. The plan changes when Stripe reports the payment to the webhook.",
    request: { body: jsonBody(checkoutBody) },
    responses: {
      200: jsonResponse(checkoutView, 'Where to pay'),
      ...problemResponses,
      409: problemOf('Already paying for this plan, or a downgrade the current usage exceeds'),
      503: problemOf('Stripe is not configured (STRIPE_SECRET_KEY) or did not answer'),
    },
  },
);
subscriptionRoutes.openapi(checkout, async (c) => {
  const { orgId, email } = c.var.caller;
  const actor = actorOf(c);
  const metered = await orgHub(c.env, orgId).currentUsage(orgId);
  const { plan } = c.req.valid('json');
  const terms = await withTenant(c.var.database(), orgId, (tx) => checkoutTerms(c.env, tx, actor, { plan, metered }));
  // Stripe is called outside any database transaction.
  const session = await createCheckoutSession(c.env, {
    orgId,
    plan: terms.plan,
    customerId: terms.customerId,
    email,
    returnTo: (c.env.APP_BASE_URL ?? new URL(c.req.url).origin).replace(/\/+$/, ''),
  });
  await withTenant(c.var.database(), orgId, (tx) => recordCheckoutStarted(tx, actor, plan, session.id));
  return c.json({ url: session.url }, 200);
});
