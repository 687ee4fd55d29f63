import { z } from '@hono/zod-openapi';
import { withTenant } from '../../db/tenant';
import { actorOf } from '../platform/audit';
import { createRouter, defineRoute } from '../platform/openapi';
import { pageOf, pageQuery } from '../platform/pagination';
import { idParams, jsonBody, jsonResponse, problemResponses } from '../platform/responses';
import { planFeature } from '../subscription/features';
import { evidencePack } from './evidence';
import { createReportSchedule, deleteReportSchedule, listReportSchedules, toScheduleView } from './schedules';
import { createReportBody, createScheduleBody, reportView, scheduleView } from './schemas';
import {
  assertMayRequest,
  checkRequest,
  createReport,
  enqueueReport,
  getReport,
  listReports,
  reportFile,
  toReportView,
} from './service';
import { reportFileName } from './storage';

/** Mounted at /api/reports (worker/app.ts). */
export const reportsRoutes = createRouter();
/** Mounted at /api/report-schedules. */
export const reportSchedulesRoutes = createRouter();
/** Mounted at /api/cases, beside the cases' own routes. */
export const evidencePackRoutes = createRouter();

const tags = ['reports'];
const gate = planFeature('reports');

const create = defineRoute(
  { permission: 'data:read', gate },
  {
    method: 'post',
    path: '/',
    tags,
    summary: 'Generate a report of a period (queued; poll it or wait for report.ready)',
    description:
      '`compliance_summary` is a PDF; `violations`, `cases`, `transactions` and `audit` are CSV exports (RFC 4180, ' +
      "a cell beginning with `=`, `+`, `-`, `@`, tab or carriage return prefixed with `'`). `from` and `to` are " +
      'days (UTC, both included) or instants. The audit log is for roles that may read it.',
    request: { body: jsonBody(createReportBody) },
    responses: { 202: jsonResponse(reportView, 'The queued report'), ...problemResponses },
  },
);
reportsRoutes.openapi(create, async (c) => {
  const body = c.req.valid('json');
  assertMayRequest(c.var.caller.role, body.type);
  const period = { from: body.from, to: body.to };
  const format = checkRequest(body.type, body.format, period);
  const actor = actorOf(c);
  const row = await withTenant(c.var.database(), actor.orgId, (tx) =>
    createReport(tx, actor, { type: body.type, format, period }),
  );
  await enqueueReport(c.env, actor.orgId, row.id);
  return c.json(toReportView(row), 202);
});

const list = defineRoute(
  { permission: 'data:read', gate },
  {
    method: 'get',
    path: '/',
    tags,
    summary: 'Reports, newest first',
    request: { query: pageQuery },
    responses: { 200: jsonResponse(pageOf(reportView), 'A page of reports'), ...problemResponses },
  },
);
reportsRoutes.openapi(list, async (c) => {
  const page = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    listReports(tx, c.var.caller.role, c.req.valid('query')),
  );
  return c.json(page, 200);
});

const read = defineRoute(
  { permission: 'data:read', gate },
  {
    method: 'get',
    path: '/{id}',
    tags,
    summary: 'One report: its status, progress and size',
    request: { params: idParams },
    responses: { 200: jsonResponse(reportView, 'The report'), ...problemResponses },
  },
);
reportsRoutes.openapi(read, async (c) => {
  const row = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    getReport(tx, c.var.caller.role, c.req.valid('param').id),
  );
  return c.json(toReportView(row), 200);
});

const file = defineRoute(
  { permission: 'data:read', gate },
  {
    method: 'get',
    path: '/{id}/file',
    tags,
    summary: "The report's file (409 while it is not completed)",
    request: { params: idParams },
    responses: {
      200: {
        description: 'The file',
        content: { 'application/pdf': { schema: z.string() }, 'text/csv': { schema: z.string() } },
      },
      ...problemResponses,
    },
  },
);
reportsRoutes.openapi(file, async (c) => {
  const row = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    getReport(tx, c.var.caller.role, c.req.valid('param').id),
  );
  const object = await reportFile(c.env, row);
  return c.body(object.body, 200, {
    'content-type': row.format === 'pdf' ? 'application/pdf' : 'text/csv; charset=utf-8',
    'content-length': String(object.size),
    'content-disposition': `attachment; filename="${reportFileName(row)}"`,
    ...(row.sha256 ? { 'x-content-sha256': row.sha256 } : {}),
  });
});

const createSchedule = defineRoute(
  { permission: 'alerts:manage', gate },
  {
    method: 'post',
    path: '/',
    tags,
    summary: 'Deliver a report daily or weekly through an alert channel (report.ready)',
    description:
      'Daily runs cover the previous UTC day and start after midnight UTC; weekly runs cover the previous seven days ' +
      'and start on Monday after midnight UTC. Email carries the file (under 10 MB); Slack and webhooks a link.',
    request: { body: jsonBody(createScheduleBody) },
    responses: { 201: jsonResponse(scheduleView, 'The schedule'), ...problemResponses },
  },
);
reportSchedulesRoutes.openapi(createSchedule, async (c) => {
  const body = c.req.valid('json');
  assertMayRequest(c.var.caller.role, body.type);
  const actor = actorOf(c);
  const row = await withTenant(c.var.database(), actor.orgId, (tx) => createReportSchedule(tx, actor, body));
  return c.json(toScheduleView(row), 201);
});

const listSchedules = defineRoute(
  { permission: 'data:read', gate },
  {
    method: 'get',
    path: '/',
    tags,
    summary: 'Report schedules',
    responses: { 200: jsonResponse(z.array(scheduleView), 'Every schedule'), ...problemResponses },
  },
);
reportSchedulesRoutes.openapi(listSchedules, async (c) => {
  const rows = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => listReportSchedules(tx));
  return c.json(rows.map(toScheduleView), 200);
});

const deleteSchedule = defineRoute(
  { permission: 'alerts:manage', gate },
  {
    method: 'delete',
    path: '/{id}',
    tags,
    summary: 'Stop a report schedule',
    request: { params: idParams },
    responses: { 204: { description: 'Deleted' }, ...problemResponses },
  },
);
reportSchedulesRoutes.openapi(deleteSchedule, async (c) => {
  const actor = actorOf(c);
  await withTenant(c.var.database(), actor.orgId, (tx) => deleteReportSchedule(tx, actor, c.req.valid('param').id));
  return c.body(null, 204);
});

const pack = defineRoute(
  { permission: 'data:read', gate: planFeature('cases') },
  {
    method: 'get',
    path: '/{id}/evidence-pack',
    tags: ['cases'],
    summary: "The case's evidence pack: a ZIP with a SHA-256 manifest (check it with npm run verify-evidence)",
    description:
      '`manifest.json` (`files: [{path, sha256, size}]`), `case.json`, `violations.json`, `transactions.json`, ' +
      '`rules.json` (the rule versions that raised the violations, with clause citations), `audit.json` (the ' +
      "case's audit entries with their chain hashes and what each hash covers) and `summary.pdf`. The export is audited.",
    request: { params: idParams },
    responses: {
      200: { description: 'The ZIP', content: { 'application/zip': { schema: z.string() } } },
      ...problemResponses,
    },
  },
);
evidencePackRoutes.openapi(pack, async (c) => {
  const actor = actorOf(c);
  const { fileName, zip } = await withTenant(c.var.database(), actor.orgId, (tx) =>
    evidencePack(tx, actor, c.req.valid('param').id),
  );
  return c.body(zip as Uint8Array<ArrayBuffer>, 200, {
    'content-type': 'application/zip',
    'content-disposition': `attachment; filename="${fileName}"`,
  });
});
