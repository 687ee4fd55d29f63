import { z } from '@hono/zod-openapi';
import { withTenant } from '../../db/tenant';
import { auditOrigin, recordAudit } from '../platform/audit';
import { createRouter, defineRoute } from '../platform/openapi';
import { pageOf, pageQuery, toPage } from '../platform/pagination';
import { idParams, jsonBody, jsonResponse, problemResponses } from '../platform/responses';
import { csvUploadRecords, recordValidator } from '../transactions/intake';
import type { UploadRecord } from '../transactions/readers';
import type { SourceMapping } from './mapping';
import {
  createSourceBody,
  previewBody,
  previewView,
  sourceView as sourceSchema,
  sourceWithSecret,
  updateSourceBody,
} from './schemas';
import { secretKeysOf } from './secrets';
import { createSource, deleteSource, findSource, listSources, rotateSecret, sourceView, updateSource } from './service';

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
  const { orgId, userId } = c.var.caller;
  const { name, mapping = {} } = c.req.valid('json');
  return withTenant(c.var.database(), orgId, async (tx) => {
    const { row, secret } = await createSource(tx, secretKeysOf(c.env), {
      orgId,
      createdBy: userId,
      name,
      mapping,
    });
    await recordAudit(tx, auditOrigin(c), {
      orgId,
      actorId: userId,
      action: 'source.created',
      targetType: 'source',
      targetId: row.id,
      details: { name },
    });
    return c.json({ id: row.id, name: row.name, signing_secret: secret }, 201);
  });
});

const list = defineRoute(
  { permission: 'sources:manage' },
  {
    method: 'get',
    path: '/',
    tags: ['sources'],
    summary: 'List ingest sources',
    request: { query: pageQuery },
    responses: { 200: jsonResponse(pageOf(sourceSchema), 'A page of sources'), ...problemResponses },
  },
);
sourcesRoutes.openapi(list, async (c) => {
  const { limit, cursor } = c.req.valid('query');
  const rows = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => listSources(tx, cursor, limit));
  return c.json(
    toPage(rows, limit, sourceView, (row) => [row.createdAtKey, row.id]),
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
    responses: { 200: jsonResponse(sourceSchema, 'The source'), ...problemResponses },
  },
);
sourcesRoutes.openapi(getOne, async (c) => {
  const row = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => findSource(tx, c.req.valid('param').id));
  return c.json(sourceView(row), 200);
});

const update = defineRoute(
  { permission: 'sources:manage' },
  {
    method: 'patch',
    path: '/{id}',
    tags: ['sources'],
    summary: 'Rename, remap, activate or deactivate a source',
    request: { params: idParams, body: jsonBody(updateSourceBody) },
    responses: { 200: jsonResponse(sourceSchema, 'The source'), ...problemResponses },
  },
);
sourcesRoutes.openapi(update, async (c) => {
  const { orgId, userId } = c.var.caller;
  const changes = c.req.valid('json');
  return withTenant(c.var.database(), orgId, async (tx) => {
    const row = await updateSource(tx, c.req.valid('param').id, changes);
    await recordAudit(tx, auditOrigin(c), {
      orgId,
      actorId: userId,
      action: 'source.updated',
      targetType: 'source',
      targetId: row.id,
      details: { changed: Object.keys(changes) },
    });
    return c.json(sourceView(row), 200);
  });
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
  const { orgId, userId } = c.var.caller;
  await withTenant(c.var.database(), orgId, async (tx) => {
    const row = await deleteSource(tx, c.req.valid('param').id);
    await recordAudit(tx, auditOrigin(c), {
      orgId,
      actorId: userId,
      action: 'source.deleted',
      targetType: 'source',
      targetId: row.id,
      details: { name: row.name },
    });
  });
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
  const { orgId, userId } = c.var.caller;
  return withTenant(c.var.database(), orgId, async (tx) => {
    const { row, secret } = await rotateSecret(tx, secretKeysOf(c.env), c.req.valid('param').id);
    await recordAudit(tx, auditOrigin(c), {
      orgId,
      actorId: userId,
      action: 'source.secret_rotated',
      targetType: 'source',
      targetId: row.id,
      details: { previous_secret_expires_at: row.previousSecretExpiresAt?.toISOString() },
    });
    return c.json({ id: row.id, name: row.name, signing_secret: secret }, 200);
  });
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
  const mapping = trial ?? (saved.mapping as SourceMapping);
  const validate = recordValidator(mapping);
  const rows: z.infer<typeof previewView>['rows'] = [];
  for await (const record of sampleRecords(sample)) {
    if (rows.length >= 100) break;
    if (record.problem !== undefined) {
      rows.push({ row: record.row, transaction: null, errors: [{ path: '', message: record.problem }] });
      continue;
    }
    const result = validate(record.value);
    rows.push(
      result.ok
        ? { row: record.row, transaction: result.transaction, errors: [] }
        : { row: record.row, transaction: null, errors: result.errors },
    );
  }
  return c.json({ rows }, 200);
});

/** A pasted CSV (with its header), one JSON object, or an array of them. */
async function* sampleRecords(sample: z.infer<typeof previewBody>['sample']): AsyncGenerator<UploadRecord> {
  if (typeof sample === 'string') {
    yield* csvUploadRecords(
      (async function* () {
        yield sample;
      })(),
      true,
    );
    return;
  }
  for (const [index, value] of (Array.isArray(sample) ? sample : [sample]).entries()) yield { row: index + 1, value };
}
