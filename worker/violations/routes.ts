import { withTenant } from '../../db/tenant';
import { auditOrigin } from '../platform/audit';
import { createRouter, defineRoute } from '../platform/openapi';
import { pageOf } from '../platform/pagination';
import { idParams, jsonBody, jsonResponse, problemResponses } from '../platform/responses';
import { updateViolationBody, violationDetailView, violationListQuery, violationView } from './schemas';
import { changeViolationStatus, getViolation, listViolations } from './service';

export const violationsRoutes = createRouter();

const list = defineRoute(
  { permission: 'data:read' },
  {
    method: 'get',
    path: '/',
    tags: ['violations'],
    summary: 'List violations, newest first',
    request: { query: violationListQuery },
    responses: { 200: jsonResponse(pageOf(violationView), 'A page of violations'), ...problemResponses },
  },
);
violationsRoutes.openapi(list, async (c) => {
  const page = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => listViolations(tx, c.req.valid('query')));
  return c.json(page, 200);
});

const get = defineRoute(
  { permission: 'data:read' },
  {
    method: 'get',
    path: '/{id}',
    tags: ['violations'],
    summary: 'A violation with its review history',
    request: { params: idParams },
    responses: { 200: jsonResponse(violationDetailView, 'The violation'), ...problemResponses },
  },
);
violationsRoutes.openapi(get, async (c) => {
  const violation = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    getViolation(tx, c.req.valid('param').id),
  );
  return c.json(violation, 200);
});

const update = defineRoute(
  { permission: 'violations:update' },
  {
    method: 'patch',
    path: '/{id}',
    tags: ['violations'],
    summary: "Change a violation's status",
    request: { params: idParams, body: jsonBody(updateViolationBody) },
    responses: { 200: jsonResponse(violationDetailView, 'The violation'), ...problemResponses },
  },
);
violationsRoutes.openapi(update, async (c) => {
  const { orgId, userId } = c.var.caller;
  const violation = await withTenant(c.var.database(), orgId, (tx) =>
    changeViolationStatus(tx, auditOrigin(c), orgId, userId, c.req.valid('param').id, c.req.valid('json')),
  );
  return c.json(violation, 200);
});
