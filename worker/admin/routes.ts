import { withTenant } from '../../db/tenant';
import { orgHub } from '../../durable-objects/org-hub';
import { actorOf } from '../platform/audit';
import { createRouter, defineRoute } from '../platform/openapi';
import { pageOf } from '../platform/pagination';
import { idParams, jsonBody, jsonResponse, problemResponses } from '../platform/responses';
import { overrideBody, subscriptionView } from '../subscription/schemas';
import { overrideSubscription, toSubscriptionView } from '../subscription/service';
import { organizationSummaryView, organizationsQuery, organizationUsageView } from './schemas';
import { assertOrganizationExists, listOrganizations, organizationUsage } from './service';

/** Platform operators (super_admin) only; these read across organizations, read-only. */
export const adminRoutes = createRouter();

const list = defineRoute(
  { permission: 'platform:admin' },
  {
    method: 'get',
    path: '/organizations',
    tags: ['admin'],
    summary: "Every organization with its plan, users and this month's usage",
    request: { query: organizationsQuery },
    responses: {
      200: jsonResponse(pageOf(organizationSummaryView).openapi('OrganizationSummaryPage'), 'A page of organizations'),
      ...problemResponses,
    },
  },
);
adminRoutes.openapi(list, async (c) => {
  const { limit, cursor } = c.req.valid('query');
  return c.json(await listOrganizations(c.var.database(), limit, cursor), 200);
});

const usage = defineRoute(
  { permission: 'platform:admin' },
  {
    method: 'get',
    path: '/organizations/{id}/usage',
    tags: ['admin'],
    summary: "One organization's usage against its plan",
    description:
      "Transaction counts are those flushed to the database by the organization's hub, at most a minute behind.",
    request: { params: idParams },
    responses: { 200: jsonResponse(organizationUsageView, 'The usage'), ...problemResponses },
  },
);
adminRoutes.openapi(usage, async (c) =>
  c.json(await organizationUsage(c.var.database(), c.req.valid('param').id), 200),
);

const override = defineRoute(
  { permission: 'platform:admin' },
  {
    method: 'patch',
    path: '/organizations/{id}/subscription',
    tags: ['admin'],
    summary: "Override an organization's plan and/or status (no usage check)",
    description: "Audited in the organization's own trail, with the operator as the actor.",
    request: { params: idParams, body: jsonBody(overrideBody) },
    responses: { 200: jsonResponse(subscriptionView, 'The subscription after the override'), ...problemResponses },
  },
);
adminRoutes.openapi(override, async (c) => {
  const { id } = c.req.valid('param');
  await assertOrganizationExists(c.var.database(), id);
  const metered = await orgHub(c.env, id).currentUsage(id);
  const operator = actorOf(c, id);
  const view = await withTenant(c.var.database(), id, async (tx) => {
    await overrideSubscription(tx, operator, c.req.valid('json'));
    return toSubscriptionView(c.env, tx, id, metered);
  });
  return c.json(view, 200);
});
