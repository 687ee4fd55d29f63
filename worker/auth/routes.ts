import { withTenant } from '../../db/tenant';
import { actorOf, auditOrigin } from '../platform/audit';
import type { Caller } from '../platform/context';
import { createRouter, defineRoute } from '../platform/openapi';
import { jsonBody, jsonResponse, problemResponses } from '../platform/responses';
import { loginBody, meView, refreshBody, registerBody, sessionView, updateMeBody } from './schemas';
import { login, logout, organizationName, refreshSession, registerOrganization, updateOwnPreferences } from './service';

export const authRoutes = createRouter();

const register = defineRoute(
  { public: true, reason: 'creates the organization and its first user' },
  {
    method: 'post',
    path: '/register',
    tags: ['auth'],
    summary: 'Register an organization and its first admin',
    request: { body: jsonBody(registerBody) },
    responses: { 201: jsonResponse(sessionView, 'The new session'), ...problemResponses },
  },
);
authRoutes.openapi(register, async (c) => {
  const session = await registerOrganization(c.env, c.var.database(), auditOrigin(c), c.req.valid('json'));
  return c.json(session, 201);
});

const loginRoute = defineRoute(
  { public: true, reason: 'exchanges credentials for tokens' },
  {
    method: 'post',
    path: '/login',
    tags: ['auth'],
    summary: 'Sign in',
    request: { body: jsonBody(loginBody) },
    responses: { 200: jsonResponse(sessionView, 'The new session'), ...problemResponses },
  },
);
authRoutes.openapi(loginRoute, async (c) => {
  const { email, password } = c.req.valid('json');
  return c.json(await login(c.env, c.var.database(), auditOrigin(c), email, password), 200);
});

const refresh = defineRoute(
  { public: true, reason: 'authenticated by the refresh token itself' },
  {
    method: 'post',
    path: '/refresh',
    tags: ['auth'],
    summary: 'Rotate a refresh token',
    request: { body: jsonBody(refreshBody) },
    responses: { 200: jsonResponse(sessionView, 'A new token pair'), ...problemResponses },
  },
);
authRoutes.openapi(refresh, async (c) => {
  const session = await refreshSession(c.env, c.var.database(), auditOrigin(c), c.req.valid('json').refresh_token);
  return c.json(session, 200);
});

const logoutRoute = defineRoute(
  { public: true, reason: 'authenticated by the refresh token itself' },
  {
    method: 'post',
    path: '/logout',
    tags: ['auth'],
    summary: 'Revoke a session',
    request: { body: jsonBody(refreshBody) },
    responses: { 204: { description: 'Revoked' }, ...problemResponses },
  },
);
authRoutes.openapi(logoutRoute, async (c) => {
  await logout(c.env, c.var.database(), auditOrigin(c), c.req.valid('json').refresh_token);
  return c.body(null, 204);
});

const me = defineRoute(
  { permission: 'data:read' },
  {
    method: 'get',
    path: '/me',
    tags: ['auth'],
    summary: 'The signed-in user and organization',
    responses: { 200: jsonResponse(meView, 'The caller'), ...problemResponses },
  },
);
authRoutes.openapi(me, async (c) => {
  const caller = c.var.caller;
  const orgName = await withTenant(c.var.database(), caller.orgId, (tx) => organizationName(tx, caller.orgId));
  return c.json(meOf(caller, orgName, caller.timeZone), 200);
});

function meOf(caller: Caller, orgName: string, timeZone: string | null) {
  return {
    user: {
      id: caller.userId,
      email: caller.email,
      role: caller.role,
      full_name: caller.fullName,
      time_zone: timeZone,
    },
    organization: { id: caller.orgId, name: orgName },
  };
}

// Every role may set its own preferences: data:read is the permission every role holds.
const updateMe = defineRoute(
  { permission: 'data:read' },
  {
    method: 'patch',
    path: '/me',
    tags: ['auth'],
    summary: "The signed-in user's own preferences: the time zone the dashboard shows times in",
    request: { body: jsonBody(updateMeBody) },
    responses: { 200: jsonResponse(meView, 'The caller, updated'), ...problemResponses },
  },
);
authRoutes.openapi(updateMe, async (c) => {
  const caller = c.var.caller;
  const changes = c.req.valid('json');
  const orgName = await withTenant(c.var.database(), caller.orgId, async (tx) => {
    await updateOwnPreferences(tx, actorOf(c), changes);
    return organizationName(tx, caller.orgId);
  });
  return c.json(meOf(caller, orgName, changes.time_zone), 200);
});
