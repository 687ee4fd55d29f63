import { z } from '@hono/zod-openapi';
import { auditOrigin } from '../platform/audit';
import { createRouter, defineRoute } from '../platform/openapi';
import { decodeCursor, pageOf } from '../platform/pagination';
import { idParams, jsonBody, jsonResponse, problemResponses } from '../platform/responses';
import { changePlanBody, organizationSummaryView, organizationsQuery, organizationUsageView } from './schemas';
import { changePlan, listOrganizations, organizationUsage } from './service';

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
  const after = decodeCursor(cursor, z.tuple([z.string(), z.uuid()]));
  return c.json(await listOrganizations(c.var.database(), limit, after), 200);
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

const plan = defineRoute(
  { permission: 'platform:admin' },
  {
    method: 'put',
    path: '/organizations/{id}/subscription',
    tags: ['admin'],
    summary: 'Move an organization to another plan',
    request: { params: idParams, body: jsonBody(changePlanBody) },
    responses: {
      200: jsonResponse(organizationUsageView, "The organization's usage on its new plan"),
      ...problemResponses,
    },
  },
);
adminRoutes.openapi(plan, async (c) => {
  const { id } = c.req.valid('param');
  await changePlan(c.var.database(), auditOrigin(c), c.var.caller.userId, id, c.req.valid('json').plan);
  return c.json(await organizationUsage(c.var.database(), id), 200);
});
