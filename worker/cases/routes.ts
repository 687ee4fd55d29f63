import { z } from '@hono/zod-openapi';
import { withTenant } from '../../db/tenant';
import { raiseEvents } from '../alerts/events';
import { actorOf } from '../platform/audit';
import { createRouter, defineRoute } from '../platform/openapi';
import { pageOf, pageQuery } from '../platform/pagination';
import { idParams, jsonBody, jsonResponse, problemOf, problemResponses } from '../platform/responses';
import { planFeature } from '../subscription/features';
import { settleCases } from './deadlines';
import { createSnooze, endSnooze, listSnoozes, rulePerformance } from './feedback';
import {
  assigneeView,
  bulkBody,
  bulkResult,
  caseCountsView,
  caseDetailView,
  caseEventView,
  caseListQuery,
  caseSettingsView,
  caseView,
  caseViolationView,
  commentBody,
  createCaseBody,
  createSnoozeBody,
  rulePerformanceView,
  snoozeParams,
  snoozeView,
  updateCaseBody,
  updateCaseSettingsBody,
} from './schemas';
import {
  addComment,
  bulkChange,
  caseCounts,
  createCase,
  getCase,
  listAssignees,
  listCaseEvents,
  listCases,
  listCaseViolations,
  loadCaseSettings,
  updateCase,
  updateCaseSettings,
} from './service';

/** Mounted at /api/cases (worker/app.ts). */
export const casesRoutes = createRouter();

const tags = ['cases'];
const gate = planFeature('cases');

const getSettings = defineRoute(
  { permission: 'cases:manage', gate },
  {
    method: 'get',
    path: '/settings',
    tags,
    summary: 'Case settings: automatic cases, grouping, auto-assignment, SLAs',
    responses: { 200: jsonResponse(caseSettingsView, 'The settings'), ...problemResponses },
  },
);
casesRoutes.openapi(getSettings, async (c) => {
  const settings = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => loadCaseSettings(tx));
  return c.json(settings, 200);
});

const putSettings = defineRoute(
  { permission: 'cases:manage', gate },
  {
    method: 'put',
    path: '/settings',
    tags,
    summary: 'Change case settings (fields left out keep their value)',
    request: { body: jsonBody(updateCaseSettingsBody) },
    responses: { 200: jsonResponse(caseSettingsView, 'The settings'), ...problemResponses },
  },
);
casesRoutes.openapi(putSettings, async (c) => {
  const body = c.req.valid('json');
  const settings = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    updateCaseSettings(tx, actorOf(c), body),
  );
  return c.json(settings, 200);
});

const counts = defineRoute(
  { permission: 'data:read', gate },
  {
    method: 'get',
    path: '/counts',
    tags,
    summary: "The inbox's counters over cases not closed: mine, unassigned, breached, due soon, open",
    responses: { 200: jsonResponse(caseCountsView, 'The counters'), ...problemResponses },
  },
);
casesRoutes.openapi(counts, async (c) => {
  const { orgId, userId } = c.var.caller;
  return c.json(await withTenant(c.var.database(), orgId, (tx) => caseCounts(tx, userId)), 200);
});

const assignees = defineRoute(
  { permission: 'data:read', gate },
  {
    method: 'get',
    path: '/assignees',
    tags,
    summary: 'Who cases may be assigned to: the active members whose role may change case status',
    responses: { 200: jsonResponse(z.array(assigneeView), 'The members, by name'), ...problemResponses },
  },
);
casesRoutes.openapi(assignees, async (c) =>
  c.json(await withTenant(c.var.database(), c.var.caller.orgId, listAssignees), 200),
);

const list = defineRoute(
  { permission: 'data:read', gate },
  {
    method: 'get',
    path: '/',
    tags,
    summary: 'List cases, newest first',
    request: { query: caseListQuery },
    responses: { 200: jsonResponse(pageOf(caseView), 'A page of cases'), ...problemResponses },
  },
);
casesRoutes.openapi(list, async (c) => {
  const { orgId, userId } = c.var.caller;
  const page = await withTenant(c.var.database(), orgId, (tx) => listCases(tx, userId, c.req.valid('query')));
  return c.json(page, 200);
});

const create = defineRoute(
  { permission: 'cases:update', gate },
  {
    method: 'post',
    path: '/',
    tags,
    summary: 'Open a case from selected violations',
    request: { body: jsonBody(createCaseBody) },
    responses: {
      201: jsonResponse(caseDetailView, 'The case'),
      409: problemOf('A violation is already in a case'),
      ...problemResponses,
    },
  },
);
casesRoutes.openapi(create, async (c) => {
  const actor = actorOf(c);
  const { view, followUp } = await withTenant(c.var.database(), actor.orgId, async (tx) => {
    const created = await createCase(tx, actor, c.req.valid('json'));
    await raiseEvents(c.env, tx, actor.orgId, created.events);
    return { view: await getCase(tx, created.id), followUp: created.followUp };
  });
  await settleCases(c.env, actor.orgId, followUp);
  return c.json(view, 201);
});

const bulk = defineRoute(
  { permission: 'cases:update', gate },
  {
    method: 'post',
    path: '/bulk',
    tags,
    summary: 'Assign, change the status of, or close up to 500 cases; each changes wholly or not at all',
    request: { body: jsonBody(bulkBody) },
    responses: { 200: jsonResponse(bulkResult, 'How many changed, and why the others did not'), ...problemResponses },
  },
);
casesRoutes.openapi(bulk, async (c) => {
  const actor = actorOf(c);
  const { result, followUp } = await withTenant(c.var.database(), actor.orgId, async (tx) => {
    const done = await bulkChange(tx, actor, c.var.caller.role, c.req.valid('json'));
    await raiseEvents(c.env, tx, actor.orgId, done.events);
    return done;
  });
  await settleCases(c.env, actor.orgId, followUp);
  return c.json(result, 200);
});

const get = defineRoute(
  { permission: 'data:read', gate },
  {
    method: 'get',
    path: '/{id}',
    tags,
    summary: 'A case with its violations (the first 200), their evidence and transactions',
    request: { params: idParams },
    responses: { 200: jsonResponse(caseDetailView, 'The case'), ...problemResponses },
  },
);
casesRoutes.openapi(get, async (c) => {
  const view = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => getCase(tx, c.req.valid('param').id));
  return c.json(view, 200);
});

const update = defineRoute(
  { permission: 'cases:update', gate },
  {
    method: 'patch',
    path: '/{id}',
    tags,
    summary: 'Change status (closing takes an outcome and a reason), assignee or title',
    description: 'Reopening (closed to investigating) is for compliance admins only.',
    request: { params: idParams, body: jsonBody(updateCaseBody) },
    responses: {
      200: jsonResponse(caseDetailView, 'The case'),
      409: problemOf('The case is closed'),
      ...problemResponses,
    },
  },
);
casesRoutes.openapi(update, async (c) => {
  const actor = actorOf(c);
  const id = c.req.valid('param').id;
  const { view, followUp } = await withTenant(c.var.database(), actor.orgId, async (tx) => {
    const changed = await updateCase(tx, actor, c.var.caller.role, id, c.req.valid('json'));
    await raiseEvents(c.env, tx, actor.orgId, changed.events);
    return { view: await getCase(tx, id), followUp: changed.followUp };
  });
  await settleCases(c.env, actor.orgId, followUp);
  return c.json(view, 200);
});

const events = defineRoute(
  { permission: 'data:read', gate },
  {
    method: 'get',
    path: '/{id}/events',
    tags,
    summary: "The case's history, in order",
    request: { params: idParams },
    responses: { 200: jsonResponse(z.array(caseEventView), 'The events'), ...problemResponses },
  },
);
casesRoutes.openapi(events, async (c) => {
  const rows = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    listCaseEvents(tx, c.req.valid('param').id),
  );
  return c.json(rows, 200);
});

const caseViolations = defineRoute(
  { permission: 'data:read', gate },
  {
    method: 'get',
    path: '/{id}/violations',
    tags,
    summary: "The case's violations in detection order, a page at a time (the case page shows the first 200)",
    request: { params: idParams, query: pageQuery },
    responses: { 200: jsonResponse(pageOf(caseViolationView), 'A page of violations'), ...problemResponses },
  },
);
casesRoutes.openapi(caseViolations, async (c) => {
  const { limit, cursor } = c.req.valid('query');
  const page = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    listCaseViolations(tx, c.req.valid('param').id, limit, cursor),
  );
  return c.json(page, 200);
});

const comment = defineRoute(
  { permission: 'cases:update', gate },
  {
    method: 'post',
    path: '/{id}/comments',
    tags,
    summary: 'Comment on a case',
    request: { params: idParams, body: jsonBody(commentBody) },
    responses: { 201: jsonResponse(caseEventView, 'The comment, as an event'), ...problemResponses },
  },
);
casesRoutes.openapi(comment, async (c) => {
  const actor = actorOf(c);
  const { view, followUp } = await withTenant(c.var.database(), actor.orgId, (tx) =>
    addComment(tx, actor, c.req.valid('param').id, c.req.valid('json').body),
  );
  await settleCases(c.env, actor.orgId, followUp);
  return c.json(view, 201);
});

/** Rule feedback from cases, mounted beside the rule routes at /api/rules (worker/app.ts). */
export const ruleFeedbackRoutes = createRouter();

const performance = defineRoute(
  { permission: 'data:read', gate },
  {
    method: 'get',
    path: '/{id}/performance',
    tags: ['rules', ...tags],
    summary: "A rule's precision and time to close, from closed cases' outcomes (in all and per version)",
    request: { params: idParams },
    responses: { 200: jsonResponse(rulePerformanceView, 'The performance'), ...problemResponses },
  },
);
ruleFeedbackRoutes.openapi(performance, async (c) => {
  const view = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    rulePerformance(tx, c.req.valid('param').id),
  );
  return c.json(view, 200);
});

const listSnoozesRoute = defineRoute(
  { permission: 'data:read', gate },
  {
    method: 'get',
    path: '/{id}/snoozes',
    tags: ['rules', ...tags],
    summary: "The rule's snoozes, newest first",
    request: { params: idParams },
    responses: { 200: jsonResponse(z.array(snoozeView), 'The snoozes'), ...problemResponses },
  },
);
ruleFeedbackRoutes.openapi(listSnoozesRoute, async (c) => {
  const rows = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => listSnoozes(tx, c.req.valid('param').id));
  return c.json(rows, 200);
});

const createSnoozeRoute = defineRoute(
  { permission: 'cases:update', gate },
  {
    method: 'post',
    path: '/{id}/snoozes',
    tags: ['rules', ...tags],
    summary: 'Snooze a rule for one account: until then its new violations there are suppressed (no case, no alert)',
    request: { params: idParams, body: jsonBody(createSnoozeBody) },
    responses: { 201: jsonResponse(snoozeView, 'The snooze'), ...problemResponses },
  },
);
ruleFeedbackRoutes.openapi(createSnoozeRoute, async (c) => {
  const actor = actorOf(c);
  const row = await withTenant(c.var.database(), actor.orgId, (tx) =>
    createSnooze(tx, actor, c.req.valid('param').id, c.req.valid('json')),
  );
  return c.json(row, 201);
});

const endSnoozeRoute = defineRoute(
  { permission: 'cases:update', gate },
  {
    method: 'delete',
    path: '/{id}/snoozes/{snooze_id}',
    tags: ['rules', ...tags],
    summary: 'End a snooze now',
    request: { params: snoozeParams },
    responses: { 204: { description: 'Ended' }, ...problemResponses },
  },
);
ruleFeedbackRoutes.openapi(endSnoozeRoute, async (c) => {
  const actor = actorOf(c);
  const { id, snooze_id } = c.req.valid('param');
  await withTenant(c.var.database(), actor.orgId, (tx) => endSnooze(tx, actor, id, snooze_id));
  return c.body(null, 204);
});
