import { BACKTEST_LIMITS } from '../../db/client';
import { withTenant } from '../../db/tenant';
import { actorOf } from '../platform/audit';
import { isStatementTimeout } from '../platform/database-errors';
import { ApiError } from '../platform/errors';
import { createRouter, defineRoute } from '../platform/openapi';
import { pageOf, pageQuery } from '../platform/pagination';
import { idParams, jsonBody, jsonResponse, problemOf, problemResponses } from '../platform/responses';
import { withBacktestSlot } from '../platform/work-limits';
import { backtestRule } from './backtest';
import {
  approvalSettingsBody,
  backtestBody,
  backtestView,
  decisionBody,
  ruleBody,
  ruleDetailView,
  ruleListQuery,
  ruleVersionView,
  ruleView,
} from './schemas';
import {
  createRule,
  createVersion,
  decideVersion,
  fourEyesRequired,
  getRule,
  listRules,
  listVersions,
  setFourEyes,
} from './service';

export const rulesRoutes = createRouter();

// Settings first: `/settings` must not be taken for a rule id.
const getSettings = defineRoute(
  { permission: 'data:read' },
  {
    method: 'get',
    path: '/settings',
    tags: ['rules'],
    summary: "The organization's rule approval settings",
    responses: { 200: jsonResponse(approvalSettingsBody, 'The settings'), ...problemResponses },
  },
);
rulesRoutes.openapi(getSettings, async (c) => {
  const fourEyes = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    fourEyesRequired(tx, c.var.caller.orgId),
  );
  return c.json({ four_eyes: fourEyes }, 200);
});

const updateSettings = defineRoute(
  { permission: 'users:manage' },
  {
    method: 'patch',
    path: '/settings',
    tags: ['rules'],
    summary: 'Turn four-eyes approval on or off',
    request: { body: jsonBody(approvalSettingsBody) },
    responses: { 200: jsonResponse(approvalSettingsBody, 'The settings'), ...problemResponses },
  },
);
rulesRoutes.openapi(updateSettings, async (c) => {
  const settings = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    setFourEyes(tx, actorOf(c), c.req.valid('json').four_eyes),
  );
  return c.json(settings, 200);
});

const create = defineRoute(
  { permission: 'rules:write' },
  {
    method: 'post',
    path: '/',
    tags: ['rules'],
    summary: 'Create a rule (version 1, draft)',
    request: { body: jsonBody(ruleBody) },
    responses: { 201: jsonResponse(ruleView, 'The new rule'), ...problemResponses },
  },
);
rulesRoutes.openapi(create, async (c) => {
  const rule = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    createRule(tx, actorOf(c), c.req.valid('json')),
  );
  return c.json(rule, 201);
});

const list = defineRoute(
  { permission: 'data:read' },
  {
    method: 'get',
    path: '/',
    tags: ['rules'],
    summary: 'List rules (each at its latest version), newest first',
    request: { query: ruleListQuery },
    responses: { 200: jsonResponse(pageOf(ruleView), 'A page of rules'), ...problemResponses },
  },
);
rulesRoutes.openapi(list, async (c) => {
  const page = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => listRules(tx, c.req.valid('query')));
  return c.json(page, 200);
});

const get = defineRoute(
  { permission: 'data:read' },
  {
    method: 'get',
    path: '/{id}',
    tags: ['rules'],
    summary: 'A rule with all its versions',
    request: { params: idParams },
    responses: { 200: jsonResponse(ruleDetailView, 'The rule'), ...problemResponses },
  },
);
rulesRoutes.openapi(get, async (c) => {
  const rule = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => getRule(tx, c.req.valid('param').id));
  return c.json(rule, 200);
});

const versions = defineRoute(
  { permission: 'data:read' },
  {
    method: 'get',
    path: '/{id}/versions',
    tags: ['rules'],
    summary: "A rule's versions, newest first",
    request: { params: idParams, query: pageQuery },
    responses: { 200: jsonResponse(pageOf(ruleVersionView), 'A page of versions'), ...problemResponses },
  },
);
rulesRoutes.openapi(versions, async (c) => {
  const page = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    listVersions(tx, c.req.valid('param').id, c.req.valid('query')),
  );
  return c.json(page, 200);
});

const update = defineRoute(
  { permission: 'rules:write' },
  {
    method: 'put',
    path: '/{id}',
    tags: ['rules'],
    summary: 'Edit a rule: a new draft version (the approved one stays active)',
    request: { params: idParams, body: jsonBody(ruleBody) },
    responses: { 200: jsonResponse(ruleView, 'The rule at its new version'), ...problemResponses },
  },
);
rulesRoutes.openapi(update, async (c) => {
  const rule = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    createVersion(tx, actorOf(c), c.req.valid('param').id, c.req.valid('json')),
  );
  return c.json(rule, 200);
});

const approve = defineRoute(
  { permission: 'rules:approve' },
  {
    method: 'post',
    path: '/{id}/approve',
    tags: ['rules'],
    summary: 'Approve a draft version: it becomes the evaluated one',
    request: { params: idParams, body: { ...jsonBody(decisionBody), required: false } },
    responses: {
      200: jsonResponse(ruleView, 'The rule'),
      409: problemOf('The version is not a draft'),
      ...problemResponses,
    },
  },
);
rulesRoutes.openapi(approve, async (c) => {
  const rule = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    decideVersion(c.env, tx, actorOf(c), c.req.valid('param').id, 'approved', c.req.valid('json') ?? {}),
  );
  return c.json(rule, 200);
});

const reject = defineRoute(
  { permission: 'rules:approve' },
  {
    method: 'post',
    path: '/{id}/reject',
    tags: ['rules'],
    summary: 'Reject a draft version',
    request: { params: idParams, body: { ...jsonBody(decisionBody), required: false } },
    responses: {
      200: jsonResponse(ruleView, 'The rule'),
      409: problemOf('The version is not a draft'),
      ...problemResponses,
    },
  },
);
rulesRoutes.openapi(reject, async (c) => {
  const rule = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    decideVersion(c.env, tx, actorOf(c), c.req.valid('param').id, 'rejected', c.req.valid('json') ?? {}),
  );
  return c.json(rule, 200);
});

const test = defineRoute(
  { permission: 'rules:write' },
  {
    method: 'post',
    path: '/{id}/test',
    tags: ['rules'],
    summary: 'Backtest a version on stored transactions (writes nothing)',
    request: { params: idParams, body: { ...jsonBody(backtestBody), required: false } },
    responses: {
      200: jsonResponse(backtestView, 'Hits, a sample with explanations, and the run time'),
      422: problemOf('The rule is too expensive to test over the range'),
      429: problemOf("The organization's concurrent rule tests are all running"),
      ...problemResponses,
    },
  },
);
rulesRoutes.openapi(test, async (c) => {
  const body = c.req.valid('json') ?? {};
  const { orgId } = c.var.caller;
  const result = await withBacktestSlot(c.env, orgId, async () => {
    try {
      return await withTenant(
        c.var.database(),
        orgId,
        (tx) =>
          backtestRule(tx, orgId, c.req.valid('param').id, {
            version: body.version,
            from: body.from ? new Date(body.from) : undefined,
            to: body.to ? new Date(body.to) : undefined,
          }),
        BACKTEST_LIMITS,
      );
    } catch (error) {
      if (!isStatementTimeout(error)) throw error;
      throw new ApiError(
        'unprocessable',
        `This rule is too expensive to test over ${body.from || body.to ? 'this range' : 'the whole history'} (more than ${BACKTEST_LIMITS.statementMs / 1000} s); narrow the range with from and to.`,
      );
    }
  });
  return c.json(result, 200);
});
