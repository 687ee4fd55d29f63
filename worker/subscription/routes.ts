import { orgHub } from '../../durable-objects/org-hub';
import { organizationUsageView } from '../admin/schemas';
import { organizationUsage } from '../admin/service';
import { createRouter, defineRoute } from '../platform/openapi';
import { jsonResponse, problemResponses } from '../platform/responses';

export const subscriptionRoutes = createRouter();

const current = defineRoute(
  { permission: 'subscription:manage' },
  {
    method: 'get',
    path: '/',
    tags: ['subscription'],
    summary: "The organization's plan and usage against its limits",
    responses: { 200: jsonResponse(organizationUsageView, 'The subscription'), ...problemResponses },
  },
);
subscriptionRoutes.openapi(current, async (c) => {
  const { orgId } = c.var.caller;
  const metered = await orgHub(c.env, orgId).currentUsage(orgId);
  const view = await organizationUsage(c.var.database(), orgId);
  // The hub's count is authoritative; the usage table may be up to a minute behind it.
  return c.json({ ...view, transactions: { ...view.transactions, used: metered.used } }, 200);
});
