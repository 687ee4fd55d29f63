import { z } from '@hono/zod-openapi';
import { BACKTEST_LIMITS } from '../../db/client';
import { withTenant } from '../../db/tenant';
import { actorOf } from '../platform/audit';
import { createRouter, defineRoute } from '../platform/openapi';
import { pageOf, pageQuery } from '../platform/pagination';
import { idParams, jsonResponse, problemOf, problemResponses } from '../platform/responses';
import { withBacktestSlot } from '../platform/work-limits';
import { readDataVocabulary } from './data-vocabulary';
import { ruleVocabulary } from './extraction/grounding';
import { policyImpact } from './impact';
import { regroundPolicyDrafts } from './reground';
import {
  impactView,
  policyDetailView,
  policyRulesQuery,
  policyRuleView,
  policyUploadForm,
  policyUploadView,
  policyVersionView,
  policyView,
  regroundView,
  versionParams,
  vocabularyView,
} from './schemas';
import { findPolicy, findPolicyVersion, getPolicy, getPolicyVersion, listPolicies, listPolicyRules } from './service';
import { getPolicyFile } from './storage';
import { uploadPolicy } from './upload';

export const policiesRoutes = createRouter();

const upload = defineRoute(
  { permission: 'policies:write' },
  {
    method: 'post',
    path: '/',
    tags: ['policies'],
    summary: 'Upload a policy document (or, with policy_id, a new version of one)',
    request: { body: { content: { 'multipart/form-data': { schema: policyUploadForm } }, required: true } },
    responses: {
      201: jsonResponse(policyUploadView, 'The stored version, its clause count and the draft rules extracted'),
      402: problemOf('The plan allows no more policies (`limit`, `used`, `plan`)'),
      409: problemOf('Another version of the policy was uploaded at the same time'),
      413: problemOf('Over 20 MB, or a DOCX or PDF that would inflate past the limits (`reason`: too_large)'),
      415: problemOf('Not multipart/form-data, or not a PDF, DOCX, Markdown or plain-text file'),
      422: problemOf('The file is corrupt, encrypted, or a PDF without a text layer (`reason` says which)'),
      ...problemResponses,
    },
  },
);
policiesRoutes.openapi(upload, async (c) => {
  const result = await uploadPolicy(c.env, c.var.database(), actorOf(c), c.req.valid('form'));
  return c.json(result, 201);
});

const list = defineRoute(
  { permission: 'data:read' },
  {
    method: 'get',
    path: '/',
    tags: ['policies'],
    summary: 'List policies, newest first',
    request: { query: pageQuery },
    responses: { 200: jsonResponse(pageOf(policyView), 'A page of policies'), ...problemResponses },
  },
);
policiesRoutes.openapi(list, async (c) => {
  const page = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => listPolicies(tx, c.req.valid('query')));
  return c.json(page, 200);
});

// Before `/{id}`: `vocabulary` is not a policy id.
const vocabulary = defineRoute(
  { permission: 'data:read' },
  {
    method: 'get',
    path: '/vocabulary',
    tags: ['policies'],
    summary: "The rule vocabulary drafts are written in, and the organization's stored values they are grounded on",
    responses: { 200: jsonResponse(vocabularyView, 'The vocabulary'), ...problemResponses },
  },
);
policiesRoutes.openapi(vocabulary, async (c) => {
  const data = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => readDataVocabulary(tx));
  return c.json(
    {
      ...ruleVocabulary(),
      data: {
        transactions: data.transactions,
        values: data.values,
        attributes: Object.entries(data.attributes).map(([key, { count }]) => ({ key, count })),
        mapped: data.mapped,
      },
    },
    200,
  );
});

const get = defineRoute(
  { permission: 'data:read' },
  {
    method: 'get',
    path: '/{id}',
    tags: ['policies'],
    summary: 'A policy with the clauses of its current version and its versions',
    request: { params: idParams },
    responses: { 200: jsonResponse(policyDetailView, 'The policy'), ...problemResponses },
  },
);
policiesRoutes.openapi(get, async (c) => {
  const policy = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => getPolicy(tx, c.req.valid('param').id));
  return c.json(policy, 200);
});

const version = defineRoute(
  { permission: 'data:read' },
  {
    method: 'get',
    path: '/{id}/versions/{version}',
    tags: ['policies'],
    summary: 'One version of a policy: its text and clauses',
    request: { params: versionParams },
    responses: { 200: jsonResponse(policyVersionView, 'The version'), ...problemResponses },
  },
);
policiesRoutes.openapi(version, async (c) => {
  const { id, version: number } = c.req.valid('param');
  const found = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => getPolicyVersion(tx, id, number));
  return c.json(found, 200);
});

const file = defineRoute(
  { permission: 'data:read' },
  {
    method: 'get',
    path: '/{id}/versions/{version}/file',
    tags: ['policies'],
    summary: 'The original file of a version, as uploaded',
    request: { params: versionParams },
    responses: {
      200: {
        description: 'The original bytes',
        content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } },
      },
      ...problemResponses,
    },
  },
);
policiesRoutes.openapi(file, async (c) => {
  const { id, version: number } = c.req.valid('param');
  const row = await withTenant(c.var.database(), c.var.caller.orgId, async (tx) => {
    await findPolicy(tx, id);
    return findPolicyVersion(tx, id, number);
  });
  const object = await getPolicyFile(c.env.POLICY_FILES, row.objectKey);
  return c.body(object.body, 200, {
    'content-type': row.contentType,
    'content-length': String(object.size),
    'content-disposition': attachment(row.fileName),
    'x-content-sha256': row.sha256,
  });
});

const rules = defineRoute(
  { permission: 'data:read' },
  {
    method: 'get',
    path: '/{id}/rules',
    tags: ['policies'],
    summary: 'The rules citing a policy, with the sentence each came from',
    request: { params: idParams, query: policyRulesQuery },
    responses: { 200: jsonResponse(pageOf(policyRuleView), 'A page of rules, in document order'), ...problemResponses },
  },
);
policiesRoutes.openapi(rules, async (c) => {
  const page = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    listPolicyRules(tx, c.req.valid('param').id, c.req.valid('query')),
  );
  return c.json(page, 200);
});

const reground = defineRoute(
  { permission: 'policies:write' },
  {
    method: 'post',
    path: '/{id}/reground',
    tags: ['policies'],
    summary: "Ground the policy's ungrounded or partly grounded drafts again on the data stored now",
    request: { params: idParams },
    responses: { 200: jsonResponse(regroundView, 'How many drafts were checked and changed'), ...problemResponses },
  },
);
policiesRoutes.openapi(reground, async (c) => {
  const result = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    regroundPolicyDrafts(tx, actorOf(c), c.req.valid('param').id),
  );
  return c.json(result, 200);
});

const impact = defineRoute(
  { permission: 'data:read' },
  {
    method: 'get',
    path: '/{id}/impact',
    tags: ['policies'],
    summary: 'What the current version changed, backtested on stored transactions',
    request: { params: idParams },
    responses: {
      200: jsonResponse(
        impactView,
        "Clauses added, removed and changed; each affected rule's violations before and after",
      ),
      409: problemOf('The policy has a single version'),
      ...problemResponses,
    },
  },
);
policiesRoutes.openapi(impact, async (c) => {
  const { orgId } = c.var.caller;
  const report = await withBacktestSlot(c.env, orgId, () =>
    withTenant(c.var.database(), orgId, (tx) => policyImpact(tx, orgId, c.req.valid('param').id), BACKTEST_LIMITS),
  );
  return c.json(report, 200);
});

/** RFC 6266: an ASCII fallback name plus the exact UTF-8 one. */
function attachment(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
