import { z } from '@hono/zod-openapi';
import { csvDocument } from '../platform/csv';
import { createRouter, defineRoute } from '../platform/openapi';
import { pageOf } from '../platform/pagination';
import { idParams, jsonResponse, problemResponses } from '../platform/responses';
import { auditEntryView, auditFilters, auditQuery, chainVerdictView } from './schemas';
import {
  AUDIT_EXPORT_HEADER,
  auditExportRow,
  auditForExport,
  getAuditEntry,
  listAudit,
  verifyAuditChain,
} from './service';

export const auditRoutes = createRouter();

const list = defineRoute(
  { permission: 'audit:read' },
  {
    method: 'get',
    path: '/',
    tags: ['audit'],
    summary: "The organization's audit trail, newest first",
    request: { query: auditQuery },
    responses: {
      200: jsonResponse(pageOf(auditEntryView).openapi('AuditPage'), 'A page of audit entries'),
      ...problemResponses,
    },
  },
);
auditRoutes.openapi(list, async (c) => {
  const query = c.req.valid('query');
  return c.json(await listAudit(c.var.database(), c.var.caller.orgId, query), 200);
});

// Declared before /{id} so "export" and "verify" are never taken for an entry id.
const exportCsv = defineRoute(
  { permission: 'audit:read' },
  {
    method: 'get',
    path: '/export',
    tags: ['audit'],
    summary: 'The filtered trail as CSV, newest first (at most 10,000 entries)',
    description:
      "RFC 4180 with a header row; a cell beginning with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `'`. " +
      '`x-export-truncated: true` says the filters match more entries than the file holds.',
    request: { query: auditFilters },
    responses: {
      200: { description: 'The entries as CSV', content: { 'text/csv': { schema: z.string() } } },
      ...problemResponses,
    },
  },
);
auditRoutes.openapi(exportCsv, async (c) => {
  const { items, truncated } = await auditForExport(c.var.database(), c.var.caller.orgId, c.req.valid('query'));
  const day = new Date().toISOString().slice(0, 10);
  return c.body(csvDocument(AUDIT_EXPORT_HEADER, items.map(auditExportRow)), 200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="audit-${day}.csv"`,
    'x-export-truncated': String(truncated),
  });
});

const verify = defineRoute(
  { permission: 'audit:read' },
  {
    method: 'get',
    path: '/verify',
    tags: ['audit'],
    summary: 'Recompute the hash chain and report the first broken row',
    responses: { 200: jsonResponse(chainVerdictView, 'Whether the chain is intact'), ...problemResponses },
  },
);
auditRoutes.openapi(verify, async (c) => c.json(await verifyAuditChain(c.var.database(), c.var.caller.orgId), 200));

const read = defineRoute(
  { permission: 'audit:read' },
  {
    method: 'get',
    path: '/{id}',
    tags: ['audit'],
    summary: 'One audit entry',
    request: { params: idParams },
    responses: { 200: jsonResponse(auditEntryView, 'The entry'), ...problemResponses },
  },
);
auditRoutes.openapi(read, async (c) =>
  c.json(await getAuditEntry(c.var.database(), c.var.caller.orgId, c.req.valid('param').id), 200),
);
