import { withTenant } from '../../db/tenant';
import { orgHub } from '../../durable-objects/org-hub';
import { createRouter, defineRoute } from '../platform/openapi';
import { jsonResponse, problemResponses } from '../platform/responses';
import { overviewQuery, overviewView } from './schemas';
import { buildOverview } from './service';

export const overviewRoutes = createRouter();

const overview = defineRoute(
  { permission: 'data:read' },
  {
    method: 'get',
    path: '/',
    tags: ['overview'],
    summary: "Compliance KPIs for the dashboard's overview",
    request: { query: overviewQuery },
    responses: { 200: jsonResponse(overviewView, 'The overview'), ...problemResponses },
  },
);
overviewRoutes.openapi(overview, async (c) => {
  const { orgId, timeZone } = c.var.caller;
  const zone = c.req.valid('query').time_zone ?? timeZone ?? 'UTC';
  // Read before the tenant transaction: the hub may itself need the database on a new month.
  const metered = await orgHub(c.env, orgId).currentUsage(orgId);
  return c.json(await withTenant(c.var.database(), orgId, (tx) => buildOverview(tx, orgId, metered, zone)), 200);
});
