import { z } from '@hono/zod-openapi';
import { withTenant } from '../../db/tenant';
import { actorOf } from '../platform/audit';
import { createRouter, defineRoute } from '../platform/openapi';
import { pageOf, pageQuery, toPage } from '../platform/pagination';
import { idParams, jsonBody, jsonResponse, problemOf, problemResponses } from '../platform/responses';
import { secretKeysOf } from '../sources/secrets';
import { planFeature } from '../subscription/features';
import {
  checkedConfig,
  createChannel,
  createTestDelivery,
  deleteChannel,
  findChannel,
  listChannels,
  rotateChannelSecret,
  toChannelView,
  updateChannel,
} from './channels';
import { deliverNow, enqueueDelivery, listDeliveries, redeliver, toDeliveryView } from './deliveries';
import { createRoute, deleteRoute, listRoutes, toRouteView } from './routing';
import {
  channelView,
  channelWithSecret,
  createChannelBody,
  createRouteBody,
  deliveriesQuery,
  deliveryView,
  routeView,
  updateChannelBody,
} from './schemas';

/** Mounted at /api/alert-channels, /api/alert-routes and /api/alert-deliveries (worker/app.ts). */
export const alertChannelsRoutes = createRouter();
export const alertRoutesRoutes = createRouter();
export const alertDeliveriesRoutes = createRouter();

const tags = ['alerts'];

const createChannelRoute = defineRoute(
  { permission: 'alerts:manage', gate: planFeature('alerts') },
  {
    method: 'post',
    path: '/',
    tags,
    summary: 'Create an alert channel (a webhook signing secret is shown once)',
    description:
      'URLs must be https and must not point (by literal or by DNS) to loopback, private, link-local, CGNAT or metadata addresses.',
    request: { body: jsonBody(createChannelBody) },
    responses: {
      201: jsonResponse(channelView.extend({ signing_secret: z.string().optional() }), 'The channel'),
      ...problemResponses,
    },
  },
);
alertChannelsRoutes.openapi(createChannelRoute, async (c) => {
  const body = c.req.valid('json');
  const config = await checkedConfig(c.env, body.type, body.config);
  const { row, signingSecret } = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    createChannel(tx, actorOf(c), { ...body, config, secretKey: secretKeysOf(c.env) }),
  );
  return c.json({ ...toChannelView(row), ...(signingSecret ? { signing_secret: signingSecret } : {}) }, 201);
});

const listChannelsRoute = defineRoute(
  { permission: 'alerts:manage', gate: planFeature('alerts') },
  {
    method: 'get',
    path: '/',
    tags,
    summary: 'List alert channels',
    request: { query: pageQuery },
    responses: { 200: jsonResponse(pageOf(channelView), 'A page of channels'), ...problemResponses },
  },
);
alertChannelsRoutes.openapi(listChannelsRoute, async (c) => {
  const { limit, cursor } = c.req.valid('query');
  const rows = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => listChannels(tx, cursor, limit));
  return c.json(
    toPage(rows, limit, toChannelView, (row) => [row.createdAtKey, row.id]),
    200,
  );
});

const getChannelRoute = defineRoute(
  { permission: 'alerts:manage', gate: planFeature('alerts') },
  {
    method: 'get',
    path: '/{id}',
    tags,
    summary: 'One alert channel (never its secrets)',
    request: { params: idParams },
    responses: { 200: jsonResponse(channelView, 'The channel'), ...problemResponses },
  },
);
alertChannelsRoutes.openapi(getChannelRoute, async (c) => {
  const row = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => findChannel(tx, c.req.valid('param').id));
  return c.json(toChannelView(row), 200);
});

const updateChannelRoute = defineRoute(
  { permission: 'alerts:manage', gate: planFeature('alerts') },
  {
    method: 'patch',
    path: '/{id}',
    tags,
    summary: "Rename a channel or replace its config (a webhook's secret stays)",
    request: { params: idParams, body: jsonBody(updateChannelBody) },
    responses: { 200: jsonResponse(channelView, 'The channel'), ...problemResponses },
  },
);
alertChannelsRoutes.openapi(updateChannelRoute, async (c) => {
  const { id } = c.req.valid('param');
  const { name, config } = c.req.valid('json');
  const db = c.var.database();
  const { orgId } = c.var.caller;
  const checked =
    config === undefined
      ? undefined
      : await checkedConfig(
          c.env,
          (await withTenant(db, orgId, (tx) => findChannel(tx, id))).type as 'slack' | 'email' | 'webhook',
          config,
        );
  const row = await withTenant(db, orgId, (tx) =>
    updateChannel(tx, actorOf(c), id, { name, config: checked, secretKey: secretKeysOf(c.env) }),
  );
  return c.json(toChannelView(row), 200);
});

const deleteChannelRoute = defineRoute(
  { permission: 'alerts:manage', gate: planFeature('alerts') },
  {
    method: 'delete',
    path: '/{id}',
    tags,
    summary: 'Delete a channel with its routes and delivery log',
    request: { params: idParams },
    responses: { 204: { description: 'Deleted' }, ...problemResponses },
  },
);
alertChannelsRoutes.openapi(deleteChannelRoute, async (c) => {
  await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    deleteChannel(tx, actorOf(c), c.req.valid('param').id),
  );
  return c.body(null, 204);
});

const rotateRoute = defineRoute(
  { permission: 'alerts:manage', gate: planFeature('alerts') },
  {
    method: 'post',
    path: '/{id}/rotate-secret',
    tags,
    summary: "A webhook channel's new signing secret; the old one keeps signing for 24 hours",
    request: { params: idParams },
    responses: {
      200: jsonResponse(channelWithSecret, 'The channel and its new secret, shown once'),
      ...problemResponses,
      409: problemOf('Not a webhook channel'),
    },
  },
);
alertChannelsRoutes.openapi(rotateRoute, async (c) => {
  const { row, signingSecret } = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    rotateChannelSecret(tx, actorOf(c), c.req.valid('param').id, secretKeysOf(c.env)),
  );
  return c.json({ ...toChannelView(row), signing_secret: signingSecret }, 200);
});

const testRoute = defineRoute(
  { permission: 'alerts:manage', gate: planFeature('alerts') },
  {
    method: 'post',
    path: '/{id}/test',
    tags,
    summary: 'Send a test message now; answers with its delivery',
    request: { params: idParams },
    responses: { 200: jsonResponse(deliveryView, 'The test delivery after its first attempt'), ...problemResponses },
  },
);
alertChannelsRoutes.openapi(testRoute, async (c) => {
  const db = c.var.database();
  const { orgId } = c.var.caller;
  const id = await withTenant(db, orgId, (tx) => createTestDelivery(tx, actorOf(c), c.req.valid('param').id));
  return c.json(toDeliveryView(await deliverNow(c.env, db, orgId, id)), 200);
});

const createRouteRoute = defineRoute(
  { permission: 'alerts:manage', gate: planFeature('alerts') },
  {
    method: 'post',
    path: '/',
    tags,
    summary: 'Route events to a channel, at once or in 5-minute digests',
    description: '`min_severity` and `rule_ids` filter the events that carry a severity or a rule; the others pass.',
    request: { body: jsonBody(createRouteBody) },
    responses: { 201: jsonResponse(routeView, 'The route'), ...problemResponses },
  },
);
alertRoutesRoutes.openapi(createRouteRoute, async (c) => {
  const row = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    createRoute(tx, actorOf(c), c.req.valid('json')),
  );
  return c.json(toRouteView(row), 201);
});

const listRoutesRoute = defineRoute(
  { permission: 'alerts:manage', gate: planFeature('alerts') },
  {
    method: 'get',
    path: '/',
    tags,
    summary: 'List alert routes',
    request: { query: pageQuery },
    responses: { 200: jsonResponse(pageOf(routeView), 'A page of routes'), ...problemResponses },
  },
);
alertRoutesRoutes.openapi(listRoutesRoute, async (c) => {
  const { limit, cursor } = c.req.valid('query');
  const rows = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => listRoutes(tx, { limit, cursor }));
  return c.json(
    toPage(rows, limit, toRouteView, (row) => [row.createdAtKey, row.id]),
    200,
  );
});

const deleteRouteRoute = defineRoute(
  { permission: 'alerts:manage', gate: planFeature('alerts') },
  {
    method: 'delete',
    path: '/{id}',
    tags,
    summary: 'Delete a route (its waiting digest events go with it)',
    request: { params: idParams },
    responses: { 204: { description: 'Deleted' }, ...problemResponses },
  },
);
alertRoutesRoutes.openapi(deleteRouteRoute, async (c) => {
  await withTenant(c.var.database(), c.var.caller.orgId, (tx) => deleteRoute(tx, actorOf(c), c.req.valid('param').id));
  return c.body(null, 204);
});

const listDeliveriesRoute = defineRoute(
  { permission: 'alerts:manage', gate: planFeature('alerts') },
  {
    method: 'get',
    path: '/',
    tags,
    summary: 'The delivery log, newest first',
    request: { query: deliveriesQuery },
    responses: { 200: jsonResponse(pageOf(deliveryView), 'A page of deliveries'), ...problemResponses },
  },
);
alertDeliveriesRoutes.openapi(listDeliveriesRoute, async (c) => {
  const { limit, cursor, channel_id, status } = c.req.valid('query');
  const rows = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    listDeliveries(tx, { limit, cursor, channelId: channel_id, status }),
  );
  return c.json(
    toPage(
      rows,
      limit,
      (row) => toDeliveryView(row.delivery),
      (row) => [row.createdAtKey, row.delivery.id],
    ),
    200,
  );
});

const redeliverRoute = defineRoute(
  { permission: 'alerts:manage', gate: planFeature('alerts') },
  {
    method: 'post',
    path: '/{id}/redeliver',
    tags,
    summary: 'Send a delivery again from its first attempt, with the same webhook-id',
    request: { params: idParams },
    responses: { 202: jsonResponse(deliveryView, 'The delivery, queued again'), ...problemResponses },
  },
);
alertDeliveriesRoutes.openapi(redeliverRoute, async (c) => {
  const row = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    redeliver(tx, actorOf(c), c.req.valid('param').id),
  );
  await enqueueDelivery(c.env, row);
  return c.json(toDeliveryView(row), 202);
});
