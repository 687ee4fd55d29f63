import { withTenant } from '../../db/tenant';
import { actorOf } from '../platform/audit';
import { createRouter, defineRoute } from '../platform/openapi';
import { pageOf, pageQuery, toPage } from '../platform/pagination';
import { idParams, jsonBody, jsonResponse, problemResponses } from '../platform/responses';
import type { SourceMapping } from './mapping';
import { previewMapping } from './preview';
import { createSourceBody, previewBody, previewView, sourceView, sourceWithSecret, updateSourceBody } from './schemas';
import { secretKeysOf } from './secrets';
import {
  createSource,
  deleteSource,
  findSource,
  listSources,
  rotateSecret,
  toSourceView,
  updateSource,
} from './service';

export const sourcesRoutes = createRouter();

const create = defineRoute(
  { permission: 'sources:manage' },
  {
    method: 'post',
    path: '/',
    tags: ['sources'],
    summary: 'Create an ingest source (the signing secret is shown once)',
    request: { body: jsonBody(createSourceBody) },
    responses: { 201: jsonResponse(sourceWithSecret, 'The source and its signing secret'), ...problemResponses },
  },
);
sourcesRoutes.openapi(create, async (c) => {
  const { name, mapping = {} } = c.req.valid('json');
  const { row, secret } = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    createSource(tx, actorOf(c), { name, mapping, secretKey: secretKeysOf(c.env) }),
  );
  return c.json({ id: row.id, name: row.name, signing_secret: secret }, 201);
});

const list = defineRoute(
  { permission: 'sources:manage' },
  {
    method: 'get',
    path: '/',
    tags: ['sources'],
    summary: 'List ingest sources',
    request: { query: pageQuery },
    responses: { 200: jsonResponse(pageOf(sourceView), 'A page of sources'), ...problemResponses },
  },
);
sourcesRoutes.openapi(list, async (c) => {
  const { limit, cursor } = c.req.valid('query');
  const rows = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => listSources(tx, cursor, limit));
  return c.json(
    toPage(rows, limit, toSourceView, (row) => [row.createdAtKey, row.id]),
    200,
  );
});

const getOne = defineRoute(
  { permission: 'sources:manage' },
  {
    method: 'get',
    path: '/{id}',
    tags: ['sources'],
    summary: 'One ingest source (never its secret)',
    request: { params: idParams },
    responses: { 200: jsonResponse(sourceView, 'The source'), ...problemResponses },
  },
);
sourcesRoutes.openapi(getOne, async (c) => {
  const row = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => findSource(tx, c.req.valid('param').id));
  return c.json(toSourceView(row), 200);
});

const update = defineRoute(
  { permission: 'sources:manage' },
  {
    method: 'patch',
    path: '/{id}',
    tags: ['sources'],
    summary: 'Rename, remap, activate or deactivate a source',
    request: { params: idParams, body: jsonBody(updateSourceBody) },
    responses: { 200: jsonResponse(sourceView, 'The source'), ...problemResponses },
  },
);
sourcesRoutes.openapi(update, async (c) => {
  const { id } = c.req.valid('param');
  const changes = c.req.valid('json');
  const row = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => updateSource(tx, actorOf(c), id, changes));
  return c.json(toSourceView(row), 200);
});

const remove = defineRoute(
  { permission: 'sources:manage' },
  {
    method: 'delete',
    path: '/{id}',
    tags: ['sources'],
    summary: 'Delete a source and its secrets (its transactions stay)',
    request: { params: idParams },
    responses: { 204: { description: 'Deleted' }, ...problemResponses },
  },
);
sourcesRoutes.openapi(remove, async (c) => {
  await withTenant(c.var.database(), c.var.caller.orgId, (tx) => deleteSource(tx, actorOf(c), c.req.valid('param').id));
  return c.body(null, 204);
});

const rotate = defineRoute(
  { permission: 'sources:manage' },
  {
    method: 'post',
    path: '/{id}/rotate-secret',
    tags: ['sources'],
    summary: 'Issue a new signing secret; the old one stays valid 24 hours',
    request: { params: idParams },
    responses: { 200: jsonResponse(sourceWithSecret, 'The new secret, shown once'), ...problemResponses },
  },
);
sourcesRoutes.openapi(rotate, async (c) => {
  const { id } = c.req.valid('param');
  const { row, secret } = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    rotateSecret(tx, actorOf(c), id, secretKeysOf(c.env)),
  );
  return c.json({ id: row.id, name: row.name, signing_secret: secret }, 200);
});

const preview = defineRoute(
  { permission: 'sources:manage' },
  {
    method: 'post',
    path: '/{id}/preview',
    tags: ['sources'],
    summary: 'Apply a mapping to sample records without storing anything',
    request: { params: idParams, body: jsonBody(previewBody) },
    responses: {
      200: jsonResponse(previewView, 'Each sample record as a canonical transaction, or its errors'),
      ...problemResponses,
    },
  },
);
sourcesRoutes.openapi(preview, async (c) => {
  const { sample, mapping: trial } = c.req.valid('json');
  const saved = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => findSource(tx, c.req.valid('param').id));
  return c.json(await previewMapping(trial ?? (saved.mapping as SourceMapping), sample), 200);
});
