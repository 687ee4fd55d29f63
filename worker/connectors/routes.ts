import type { z } from '@hono/zod-openapi';
import { withTenant } from '../../db/tenant';
import { actorOf } from '../platform/audit';
import { createRouter, defineRoute } from '../platform/openapi';
import { pageOf, pageQuery, toPage } from '../platform/pagination';
import { idParams, jsonBody, jsonResponse, problemOf, problemResponses } from '../platform/responses';
import type { SourceMapping } from '../sources/mapping';
import { secretKeysOf } from '../sources/secrets';
import { planFeature } from '../subscription/features';
import { recordValidator } from '../transactions/intake';
import { openReader } from './readers';
import { SourceError } from './readers/reader';
import { listRuns, startRun } from './runs';
import {
  type ConnectorType,
  connectorView,
  createConnectorBody,
  runStarted,
  runView,
  testBody,
  testView,
  updateConnectorBody,
} from './schemas';
import {
  checkConnectorConfig,
  connectorPolicy,
  connectorSecret,
  createConnector,
  deleteConnector,
  findConnector,
  lastRuns,
  listConnectors,
  toConnectorView,
  toRunView,
  updateConnector,
} from './service';

export const connectorsRoutes = createRouter();

const ACCESS = { permission: 'connectors:manage' as const, gate: planFeature('connectors') };
const PREVIEW_ROWS = 5;

const create = defineRoute(ACCESS, {
  method: 'post',
  path: '/',
  tags: ['connectors'],
  summary: "Create a connector to a customer's Postgres, MySQL or REST system (its secrets are never shown again)",
  request: { body: jsonBody(createConnectorBody) },
  responses: { 201: jsonResponse(connectorView, 'The connector, without secrets'), ...problemResponses },
});
connectorsRoutes.openapi(create, async (c) => {
  const body = c.req.valid('json');
  const checked = await checkConnectorConfig(c.env, body.type, body.config);
  const row = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    createConnector(tx, actorOf(c), {
      name: body.name,
      type: body.type,
      checked,
      mapping: body.mapping ?? {},
      schedule: body.schedule ?? null,
      secretKey: secretKeysOf(c.env),
    }),
  );
  return c.json(toConnectorView(row, undefined), 201);
});

const list = defineRoute(ACCESS, {
  method: 'get',
  path: '/',
  tags: ['connectors'],
  summary: 'List connectors, each with its last run',
  request: { query: pageQuery },
  responses: { 200: jsonResponse(pageOf(connectorView), 'A page of connectors'), ...problemResponses },
});
connectorsRoutes.openapi(list, async (c) => {
  const { limit, cursor } = c.req.valid('query');
  const { rows, runs } = await withTenant(c.var.database(), c.var.caller.orgId, async (tx) => {
    const rows = await listConnectors(tx, cursor, limit);
    return {
      rows,
      runs: await lastRuns(
        tx,
        rows.slice(0, limit).map((row) => row.id),
      ),
    };
  });
  return c.json(
    toPage(
      rows,
      limit,
      (row) => toConnectorView(row, runs.get(row.id)),
      (row) => [row.createdAtKey, row.id],
    ),
    200,
  );
});

const getOne = defineRoute(ACCESS, {
  method: 'get',
  path: '/{id}',
  tags: ['connectors'],
  summary: 'One connector (never its secrets)',
  request: { params: idParams },
  responses: { 200: jsonResponse(connectorView, 'The connector'), ...problemResponses },
});
connectorsRoutes.openapi(getOne, async (c) => {
  const id = c.req.valid('param').id;
  const { row, runs } = await withTenant(c.var.database(), c.var.caller.orgId, async (tx) => ({
    row: await findConnector(tx, id),
    runs: await lastRuns(tx, [id]),
  }));
  return c.json(toConnectorView(row, runs.get(id)), 200);
});

const update = defineRoute(ACCESS, {
  method: 'patch',
  path: '/{id}',
  tags: ['connectors'],
  summary: 'Rename, remap, reschedule, pause or reconfigure a connector',
  request: { params: idParams, body: jsonBody(updateConnectorBody) },
  responses: { 200: jsonResponse(connectorView, 'The connector'), ...problemResponses },
});
connectorsRoutes.openapi(update, async (c) => {
  const { orgId } = c.var.caller;
  const id = c.req.valid('param').id;
  const { config, ...changes } = c.req.valid('json');
  const db = c.var.database();
  const type = config === undefined ? undefined : (await withTenant(db, orgId, (tx) => findConnector(tx, id))).type;
  const checked = config === undefined ? undefined : await checkConnectorConfig(c.env, type as ConnectorType, config);
  return withTenant(db, orgId, async (tx) => {
    const row = await updateConnector(tx, actorOf(c), id, {
      ...changes,
      config: checked,
      secretKey: secretKeysOf(c.env),
    });
    return c.json(toConnectorView(row, (await lastRuns(tx, [id])).get(id)), 200);
  });
});

const remove = defineRoute(ACCESS, {
  method: 'delete',
  path: '/{id}',
  tags: ['connectors'],
  summary: 'Delete a connector, its secrets and its runs (its transactions stay)',
  request: { params: idParams },
  responses: { 204: { description: 'Deleted' }, ...problemResponses },
});
connectorsRoutes.openapi(remove, async (c) => {
  await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    deleteConnector(tx, actorOf(c), c.req.valid('param').id),
  );
  return c.body(null, 204);
});

const test = defineRoute(ACCESS, {
  method: 'post',
  path: '/{id}/test',
  tags: ['connectors'],
  summary: 'Read the first five rows and show them as they would be stored (nothing is stored)',
  request: { params: idParams, body: jsonBody(testBody) },
  responses: {
    200: jsonResponse(testView, "Up to five mapped rows, or the customer system's error"),
    ...problemResponses,
  },
});
connectorsRoutes.openapi(test, async (c) => {
  const { mapping: trial } = c.req.valid('json');
  const row = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    findConnector(tx, c.req.valid('param').id),
  );
  const mapping = trial ?? (row.mapping as SourceMapping);
  const validate = recordValidator(mapping);
  try {
    const reader = await openReader({
      type: row.type as ConnectorType,
      config: { ...row.config, page_size: PREVIEW_ROWS },
      secret: await connectorSecret(secretKeysOf(c.env), row),
      policy: connectorPolicy(c.env),
      mapping,
    });
    try {
      const page = await reader.nextPage(null);
      const rows: z.infer<typeof testView>['rows'] = page.rows.slice(0, PREVIEW_ROWS).map((value, index) => {
        const result = validate(value);
        return result.ok
          ? { row: index + 1, transaction: result.transaction, errors: [] }
          : { row: index + 1, transaction: null, errors: result.errors };
      });
      return c.json({ rows, error: null }, 200);
    } finally {
      await reader.close();
    }
  } catch (error) {
    if (error instanceof SourceError) return c.json({ rows: [], error: error.message }, 200);
    throw error;
  }
});

const run = defineRoute(ACCESS, {
  method: 'post',
  path: '/{id}/run',
  tags: ['connectors'],
  summary: 'Run now: pull the rows newer than the cursor (queued; follow it in the runs)',
  request: { params: idParams },
  responses: {
    202: jsonResponse(runStarted, 'The run is queued'),
    ...problemResponses,
    409: problemOf('A run is already queued or running, or the connector is paused'),
  },
});
connectorsRoutes.openapi(run, async (c) => {
  const runId = await startRun(c.env, c.var.database(), actorOf(c), c.req.valid('param').id);
  return c.json({ run_id: runId }, 202);
});

const runs = defineRoute(ACCESS, {
  method: 'get',
  path: '/{id}/runs',
  tags: ['connectors'],
  summary: "A connector's runs, newest first, with counts and errors",
  request: { params: idParams, query: pageQuery },
  responses: { 200: jsonResponse(pageOf(runView), 'A page of runs'), ...problemResponses },
});
connectorsRoutes.openapi(runs, async (c) => {
  const id = c.req.valid('param').id;
  const { limit, cursor } = c.req.valid('query');
  const rows = await withTenant(c.var.database(), c.var.caller.orgId, async (tx) => {
    await findConnector(tx, id);
    return listRuns(tx, id, cursor, limit);
  });
  return c.json(
    toPage(
      rows,
      limit,
      (row) => toRunView(row.run),
      (row) => [row.createdAtKey, row.run.id],
    ),
    200,
  );
});
