import { actorOf } from '../platform/audit';
import { createRouter, defineRoute } from '../platform/openapi';
import { pageOf, pageQuery } from '../platform/pagination';
import { idParams, jsonBody, jsonResponse, problemOf, problemResponses } from '../platform/responses';
import { createUserBody, managedUserView, updateUserBody } from './schemas';
import { createUser, getUser, listUsers, updateUser } from './service';

export const usersRoutes = createRouter();

const create = defineRoute(
  { permission: 'users:manage' },
  {
    method: 'post',
    path: '/',
    tags: ['users'],
    summary: 'Add a user to the organization',
    request: { body: jsonBody(createUserBody) },
    responses: {
      201: jsonResponse(managedUserView, 'The new user'),
      ...problemResponses,
      402: problemOf('The plan allows no more active users'),
      409: problemOf('An account with this email already exists'),
    },
  },
);
usersRoutes.openapi(create, async (c) => {
  const user = await createUser(c.env, c.var.database(), actorOf(c), c.req.valid('json'));
  return c.json(user, 201);
});

const list = defineRoute(
  { permission: 'users:manage' },
  {
    method: 'get',
    path: '/',
    tags: ['users'],
    summary: "The organization's users, by email",
    request: { query: pageQuery },
    responses: {
      200: jsonResponse(pageOf(managedUserView).openapi('UserPage'), 'A page of users'),
      ...problemResponses,
    },
  },
);
usersRoutes.openapi(list, async (c) => {
  const { limit, cursor } = c.req.valid('query');
  return c.json(await listUsers(c.var.database(), c.var.caller.orgId, limit, cursor), 200);
});

const read = defineRoute(
  { permission: 'users:manage' },
  {
    method: 'get',
    path: '/{id}',
    tags: ['users'],
    summary: 'One user',
    request: { params: idParams },
    responses: { 200: jsonResponse(managedUserView, 'The user'), ...problemResponses },
  },
);
usersRoutes.openapi(read, async (c) => {
  return c.json(await getUser(c.var.database(), c.var.caller.orgId, c.req.valid('param').id), 200);
});

const update = defineRoute(
  { permission: 'users:manage' },
  {
    method: 'patch',
    path: '/{id}',
    tags: ['users'],
    summary: "Change a user's role, deactivate or reactivate",
    request: { params: idParams, body: jsonBody(updateUserBody) },
    responses: {
      200: jsonResponse(managedUserView, 'The updated user'),
      ...problemResponses,
      402: problemOf("Reactivating would exceed the plan's active users"),
      409: problemOf('The last active compliance_admin cannot be demoted or deactivated'),
    },
  },
);
usersRoutes.openapi(update, async (c) => {
  const user = await updateUser(c.env, c.var.database(), actorOf(c), c.req.valid('param').id, c.req.valid('json'));
  return c.json(user, 200);
});
