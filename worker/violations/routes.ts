import { z } from '@hono/zod-openapi';
import { withTenant } from '../../db/tenant';
import { actorOf } from '../platform/audit';
import { csvDocument } from '../platform/csv';
import { createRouter, defineRoute } from '../platform/openapi';
import { pageOf } from '../platform/pagination';
import { idParams, jsonBody, jsonResponse, problemResponses } from '../platform/responses';
import {
  bulkStatusBody,
  bulkStatusView,
  updateViolationBody,
  violationDetailView,
  violationFilters,
  violationListQuery,
  violationView,
} from './schemas';
import {
  changeViolationStatus,
  changeViolationStatuses,
  EXPORT_HEADER,
  exportRow,
  getViolation,
  listViolations,
  violationsForExport,
} from './service';

export const violationsRoutes = createRouter();

const list = defineRoute(
  { permission: 'data:read' },
  {
    method: 'get',
    path: '/',
    tags: ['violations'],
    summary: 'List violations, most severe and riskiest first',
    request: { query: violationListQuery },
    responses: { 200: jsonResponse(pageOf(violationView), 'A page of violations'), ...problemResponses },
  },
);
violationsRoutes.openapi(list, async (c) => {
  const page = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => listViolations(tx, c.req.valid('query')));
  return c.json(page, 200);
});

const exportCsv = defineRoute(
  { permission: 'data:read' },
  {
    method: 'get',
    path: '/export',
    tags: ['violations'],
    summary: 'The filtered list as CSV, in the same order (at most 10,000 rows)',
    description:
      "RFC 4180 with a header row; a cell beginning with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `'`. " +
      'The header `x-export-truncated: true` says the filters match more rows than the file holds.',
    request: { query: violationFilters },
    responses: {
      200: { description: 'The violations as CSV', content: { 'text/csv': { schema: z.string() } } },
      ...problemResponses,
    },
  },
);
violationsRoutes.openapi(exportCsv, async (c) => {
  const { items, truncated } = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    violationsForExport(tx, c.req.valid('query')),
  );
  const day = new Date().toISOString().slice(0, 10);
  return c.body(csvDocument(EXPORT_HEADER, items.map(exportRow)), 200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="violations-${day}.csv"`,
    'x-export-truncated': String(truncated),
  });
});

const bulkStatus = defineRoute(
  { permission: 'violations:update' },
  {
    method: 'post',
    path: '/bulk-status',
    tags: ['violations'],
    summary: 'Change the status of up to 200 violations at once',
    description:
      "All or nothing: an unknown id is a 404 and nothing changes. Each change is kept in its violation's history and audited.",
    request: { body: jsonBody(bulkStatusBody) },
    responses: { 200: jsonResponse(bulkStatusView, 'How many changed'), ...problemResponses },
  },
);
violationsRoutes.openapi(bulkStatus, async (c) => {
  const result = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    changeViolationStatuses(tx, actorOf(c), c.req.valid('json')),
  );
  return c.json(result, 200);
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
  const violation = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    changeViolationStatus(tx, actorOf(c), c.req.valid('param').id, c.req.valid('json')),
  );
  return c.json(violation, 200);
});
