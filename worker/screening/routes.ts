import { withTenant } from '../../db/tenant';
import { actorOf } from '../platform/audit';
import { ApiError } from '../platform/errors';
import { createRouter, defineRoute } from '../platform/openapi';
import { pageOf, pageQuery } from '../platform/pagination';
import { idParams, jsonBody, jsonResponse, problemOf, problemResponses } from '../platform/responses';
import { planFeature } from '../subscription/features';
import { getList, listEntries, listLists, uploadList } from './lists';
import {
  entriesQuery,
  entryView,
  listDetailView,
  listUploadForm,
  listUploadView,
  listView,
  MAX_LIST_BYTES,
  searchBody,
  searchView,
} from './schemas';
import { screenName } from './search';

/** Mounted at /api/screening (worker/app.ts). Part of the plan feature `screening`. */
export const screeningRoutes = createRouter();
const tags = ['screening'];

const uploadRoute = defineRoute(
  { permission: 'screening:write', gate: planFeature('screening') },
  {
    method: 'post',
    path: '/lists',
    tags,
    summary: 'Upload a watch list (or, with list_id, a new version of one)',
    description:
      'CSV (`id,name,aliases,type,country,program`) or FollowTheMoney JSON lines. The list is stored whole or not at all: every bad row is reported in `errors` (422).',
    request: { body: { content: { 'multipart/form-data': { schema: listUploadForm } }, required: true } },
    responses: {
      201: jsonResponse(listUploadView, 'The stored version'),
      413: problemOf('The file is larger than 50 MB'),
      422: problemOf('Rows that cannot be read, each in `errors`; nothing was stored'),
      ...problemResponses,
    },
  },
);
screeningRoutes.openapi(uploadRoute, async (c) => {
  const form = c.req.valid('form');
  if (form.file.size > MAX_LIST_BYTES)
    throw new ApiError('payload_too_large', `The file is ${form.file.size} bytes; lists can be at most 50 MB.`);
  return c.json(await uploadList(c.var.database(), actorOf(c), form), 201);
});

const listRoute = defineRoute(
  { permission: 'data:read', gate: planFeature('screening') },
  {
    method: 'get',
    path: '/lists',
    tags,
    summary: 'Watch lists, newest first, with the entry count of their current version',
    request: { query: pageQuery },
    responses: { 200: jsonResponse(pageOf(listView), 'A page of lists'), ...problemResponses },
  },
);
screeningRoutes.openapi(listRoute, async (c) => {
  const page = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => listLists(tx, c.req.valid('query')));
  return c.json(page, 200);
});

const getRoute = defineRoute(
  { permission: 'data:read', gate: planFeature('screening') },
  {
    method: 'get',
    path: '/lists/{id}',
    tags,
    summary: 'A watch list with its versions',
    request: { params: idParams },
    responses: { 200: jsonResponse(listDetailView, 'The list'), ...problemResponses },
  },
);
screeningRoutes.openapi(getRoute, async (c) => {
  const list = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => getList(tx, c.req.valid('param').id));
  return c.json(list, 200);
});

const entriesRoute = defineRoute(
  { permission: 'data:read', gate: planFeature('screening') },
  {
    method: 'get',
    path: '/lists/{id}/entries',
    tags,
    summary: "The entries of a list's current version, by entry id",
    request: { params: idParams, query: entriesQuery },
    responses: { 200: jsonResponse(pageOf(entryView), 'A page of entries'), ...problemResponses },
  },
);
screeningRoutes.openapi(entriesRoute, async (c) => {
  const page = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    listEntries(tx, c.req.valid('param').id, c.req.valid('query')),
  );
  return c.json(page, 200);
});

const searchRoute = defineRoute(
  { permission: 'data:read', gate: planFeature('screening') },
  {
    method: 'post',
    path: '/search',
    tags,
    summary: "Screen a name against the organization's lists",
    description:
      'Tolerates case, accents, punctuation, token order, honorifics and legal forms, a missing middle name, small typos and common transliteration variants. Matches by descending score, each with an explanation.',
    request: { body: jsonBody(searchBody) },
    responses: { 200: jsonResponse(searchView, 'Matches at or above the threshold'), ...problemResponses },
  },
);
screeningRoutes.openapi(searchRoute, async (c) => {
  const body = c.req.valid('json');
  const actor = actorOf(c);
  const matches = await withTenant(c.var.database(), actor.orgId, (tx) =>
    screenName(tx, actor, {
      name: body.name,
      country: body.country,
      listIds: body.list_ids,
      threshold: body.threshold,
    }),
  );
  return c.json({ matches }, 200);
});
