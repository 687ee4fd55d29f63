import { withTenant } from '../../db/tenant';
import { actorOf } from '../platform/audit';
import { createRouter, defineRoute } from '../platform/openapi';
import { pageOf, pageQuery } from '../platform/pagination';
import { idParams, jsonBody, jsonResponse, problemResponses } from '../platform/responses';
import {
  createSchedule,
  deleteSchedule,
  getSchedule,
  listSchedules,
  toScheduleView,
  updateSchedule,
} from './schedules';
import {
  createScheduleBody,
  queuedScanView,
  scanListQuery,
  scanView,
  scheduleListItemView,
  scheduleView,
  startScanBody,
  updateScheduleBody,
} from './schemas';
import { getScan, listScans, startScan, toScanView } from './service';

export const scansRoutes = createRouter();

// Schedules first: `/schedules` must not be taken for a scan id.
const createScheduleRoute = defineRoute(
  { permission: 'scans:run' },
  {
    method: 'post',
    path: '/schedules',
    tags: ['scans'],
    summary: 'Schedule recurring incremental scans',
    request: { body: jsonBody(createScheduleBody) },
    responses: { 201: jsonResponse(scheduleView, 'The schedule'), ...problemResponses },
  },
);
scansRoutes.openapi(createScheduleRoute, async (c) => {
  const row = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    createSchedule(tx, actorOf(c), c.req.valid('json')),
  );
  return c.json(toScheduleView(row), 201);
});

const listSchedulesRoute = defineRoute(
  { permission: 'scans:run' },
  {
    method: 'get',
    path: '/schedules',
    tags: ['scans'],
    summary: 'List scan schedules, newest first',
    request: { query: pageQuery },
    responses: {
      200: jsonResponse(pageOf(scheduleListItemView), 'A page of schedules, each with its last result'),
      ...problemResponses,
    },
  },
);
scansRoutes.openapi(listSchedulesRoute, async (c) => {
  const page = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => listSchedules(tx, c.req.valid('query')));
  return c.json(page, 200);
});

const getScheduleRoute = defineRoute(
  { permission: 'scans:run' },
  {
    method: 'get',
    path: '/schedules/{id}',
    tags: ['scans'],
    summary: 'A scan schedule',
    request: { params: idParams },
    responses: { 200: jsonResponse(scheduleView, 'The schedule'), ...problemResponses },
  },
);
scansRoutes.openapi(getScheduleRoute, async (c) => {
  const row = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => getSchedule(tx, c.req.valid('param').id));
  return c.json(toScheduleView(row), 200);
});

const updateScheduleRoute = defineRoute(
  { permission: 'scans:run' },
  {
    method: 'patch',
    path: '/schedules/{id}',
    tags: ['scans'],
    summary: 'Change a scan schedule',
    request: { params: idParams, body: jsonBody(updateScheduleBody) },
    responses: { 200: jsonResponse(scheduleView, 'The schedule'), ...problemResponses },
  },
);
scansRoutes.openapi(updateScheduleRoute, async (c) => {
  const row = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    updateSchedule(tx, actorOf(c), c.req.valid('param').id, c.req.valid('json')),
  );
  return c.json(toScheduleView(row), 200);
});

const deleteScheduleRoute = defineRoute(
  { permission: 'scans:run' },
  {
    method: 'delete',
    path: '/schedules/{id}',
    tags: ['scans'],
    summary: 'Delete a scan schedule',
    request: { params: idParams },
    responses: { 204: { description: 'Deleted' }, ...problemResponses },
  },
);
scansRoutes.openapi(deleteScheduleRoute, async (c) => {
  await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    deleteSchedule(tx, actorOf(c), c.req.valid('param').id),
  );
  return c.body(null, 204);
});

const start = defineRoute(
  { permission: 'scans:run' },
  {
    method: 'post',
    path: '/',
    tags: ['scans'],
    summary: 'Scan stored transactions with approved rules (queued)',
    request: { body: { ...jsonBody(startScanBody), required: false } },
    responses: { 202: jsonResponse(queuedScanView, 'The scan is queued'), ...problemResponses },
  },
);
scansRoutes.openapi(start, async (c) => {
  const body = c.req.valid('json') ?? {};
  const scan = await startScan(c.env, c.var.database(), actorOf(c), {
    trigger: 'manual',
    ruleIds: body.rule_ids,
    from: body.from ? new Date(body.from) : undefined,
    to: body.to ? new Date(body.to) : undefined,
  });
  return c.json({ id: scan.id, status: 'queued' as const }, 202);
});

const list = defineRoute(
  { permission: 'data:read' },
  {
    method: 'get',
    path: '/',
    tags: ['scans'],
    summary: 'List scans, newest first',
    request: { query: scanListQuery },
    responses: { 200: jsonResponse(pageOf(scanView), 'A page of scans'), ...problemResponses },
  },
);
scansRoutes.openapi(list, async (c) =>
  c.json(await withTenant(c.var.database(), c.var.caller.orgId, (tx) => listScans(tx, c.req.valid('query'))), 200),
);

const get = defineRoute(
  { permission: 'data:read' },
  {
    method: 'get',
    path: '/{id}',
    tags: ['scans'],
    summary: 'A scan and its progress',
    request: { params: idParams },
    responses: { 200: jsonResponse(scanView, 'The scan'), ...problemResponses },
  },
);
scansRoutes.openapi(get, async (c) =>
  c.json(
    toScanView(await withTenant(c.var.database(), c.var.caller.orgId, (tx) => getScan(tx, c.req.valid('param').id))),
    200,
  ),
);
