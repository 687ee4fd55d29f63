import type { z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import type { managedUserView } from '../worker/users/schemas';
import {
  addUser,
  api,
  apiJson,
  expectProblem,
  registerOrganization,
  setPlan,
  signInPlatformOperator,
  uniqueEmail,
} from './helpers';

type User = z.infer<typeof managedUserView>;

const newUser = (role = 'viewer') => ({
  email: uniqueEmail(role),
  full_name: 'Vera Viewer',
  role,
  password: 'a long enough password',
});

async function auditActions(admin: { access_token: string }, targetId: string) {
  const page = await apiJson('GET', `/api/audit?target_type=user&target_id=${targetId}`, 200, {
    token: admin.access_token,
  });
  return page.items.map((entry) => ({ action: entry.action, details: entry.details }));
}

describe('happy', () => {
  it('an admin adds a user, who can then sign in; the creation is audited', async () => {
    const admin = await registerOrganization('Users Happy');
    const body = newUser('compliance_analyst');
    const created = await apiJson('POST', '/api/users', 201, { token: admin.access_token, body });
    expect(created).toMatchObject({
      email: body.email,
      full_name: body.full_name,
      role: 'compliance_analyst',
      is_active: true,
      last_login_at: null,
    });
    expect(await apiJson('GET', `/api/users/${created.id}`, 200, { token: admin.access_token })).toEqual(created);
    await apiJson('POST', '/api/auth/login', 200, { body: { email: body.email, password: body.password } });
    expect(await auditActions(admin, created.id)).toContainEqual({
      action: 'user.created',
      details: { email: body.email, role: 'compliance_analyst' },
    });
  });

  it('lists users by email, a page at a time, without gaps or repeats', async () => {
    const admin = await registerOrganization('Users Paging');
    await setPlan(admin.organization.id, 'pro');
    for (let i = 0; i < 4; i++)
      await apiJson('POST', '/api/users', 201, { token: admin.access_token, body: newUser() });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: User[]; next_cursor: string | null } = await apiJson(
        'GET',
        `/api/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        200,
        { token: admin.access_token },
      );
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((user) => user.email));
      cursor = page.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(5);
    // Email order is the database collation's: pages of 2 walk exactly the one-page sequence.
    const whole = await apiJson('GET', '/api/users?limit=200', 200, { token: admin.access_token });
    expect(seen).toEqual(whole.items.map((user) => user.email));
  });

  it('changes a role, deactivates and reactivates, each audited', async () => {
    const admin = await registerOrganization('Users Changes');
    const user = await apiJson('POST', '/api/users', 201, { token: admin.access_token, body: newUser('viewer') });
    expect(
      await apiJson('PATCH', `/api/users/${user.id}`, 200, {
        token: admin.access_token,
        body: { role: 'reviewer' },
      }),
    ).toMatchObject({ role: 'reviewer', is_active: true });
    expect(
      await apiJson('PATCH', `/api/users/${user.id}`, 200, {
        token: admin.access_token,
        body: { is_active: false },
      }),
    ).toMatchObject({ is_active: false });
    expect(
      await apiJson('PATCH', `/api/users/${user.id}`, 200, {
        token: admin.access_token,
        body: { is_active: true },
      }),
    ).toMatchObject({ is_active: true });
    const actions = await auditActions(admin, user.id);
    expect(actions.map((entry) => entry.action)).toEqual([
      'user.reactivated',
      'user.deactivated',
      'user.role_changed',
      'user.created',
    ]);
    expect(actions[2]!.details).toEqual({ from: 'viewer', to: 'reviewer' });
  });

  it('the last admin can step down once another user is compliance_admin', async () => {
    const admin = await registerOrganization('Users Handover');
    const other = await apiJson('POST', '/api/users', 201, {
      token: admin.access_token,
      body: newUser('compliance_analyst'),
    });
    await apiJson('PATCH', `/api/users/${other.id}`, 200, {
      token: admin.access_token,
      body: { role: 'compliance_admin' },
    });
    expect(
      await apiJson('PATCH', `/api/users/${admin.user.id}`, 200, {
        token: admin.access_token,
        body: { role: 'viewer' },
      }),
    ).toMatchObject({ role: 'viewer' });
  });
});

describe('errors', () => {
  it('super_admin cannot be assigned through the API (400 on role)', async () => {
    const admin = await registerOrganization('Users No Super');
    const created = await api('POST', '/api/users', { token: admin.access_token, body: newUser('super_admin') });
    expect(created.status).toBe(400);
    expect(((await created.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(['role']);
    const user = await apiJson('POST', '/api/users', 201, { token: admin.access_token, body: newUser() });
    const promoted = await api('PATCH', `/api/users/${user.id}`, {
      token: admin.access_token,
      body: { role: 'super_admin' },
    });
    expect(promoted.status).toBe(400);
  });

  it('a duplicate email is 409, also when the email belongs to another organization', async () => {
    const admin = await registerOrganization('Users Dupes');
    const other = await registerOrganization('Users Dupes Other');
    const body = newUser();
    await apiJson('POST', '/api/users', 201, { token: admin.access_token, body });
    for (const email of [body.email, body.email.toUpperCase(), other.user.email]) {
      const response = await api('POST', '/api/users', { token: admin.access_token, body: { ...newUser(), email } });
      await expectProblem(response, 409);
    }
  });

  it('the basic plan stops at 3 active users with 402 {limit, used, plan}; a deactivated user frees a seat', async () => {
    const admin = await registerOrganization('Users Plan');
    const first = await apiJson('POST', '/api/users', 201, { token: admin.access_token, body: newUser() });
    await apiJson('POST', '/api/users', 201, { token: admin.access_token, body: newUser() });
    const full = await api('POST', '/api/users', { token: admin.access_token, body: newUser() });
    expect(full.status).toBe(402);
    expect(await full.json()).toMatchObject({ status: 402, limit: 3, used: 3, plan: 'basic' });
    await apiJson('PATCH', `/api/users/${first.id}`, 200, { token: admin.access_token, body: { is_active: false } });
    await apiJson('POST', '/api/users', 201, { token: admin.access_token, body: newUser() });
    const reactivate = await api('PATCH', `/api/users/${first.id}`, {
      token: admin.access_token,
      body: { is_active: true },
    });
    expect(reactivate.status).toBe(402);
    await setPlan(admin.organization.id, 'pro');
    await apiJson('PATCH', `/api/users/${first.id}`, 200, { token: admin.access_token, body: { is_active: true } });
  });

  it('the last active compliance_admin can be neither demoted nor deactivated (409)', async () => {
    const admin = await registerOrganization('Users Last Admin');
    for (const change of [{ role: 'viewer' }, { is_active: false }, { role: 'reviewer', is_active: false }]) {
      const response = await api('PATCH', `/api/users/${admin.user.id}`, { token: admin.access_token, body: change });
      expect(response.status).toBe(409);
      expect(((await response.json()) as { detail: string }).detail).toMatch(/last active compliance_admin/);
    }
    expect(await apiJson('GET', `/api/users/${admin.user.id}`, 200, { token: admin.access_token })).toMatchObject({
      role: 'compliance_admin',
      is_active: true,
    });
  });

  it('rejects an empty change, a malformed id, an unknown id and a short password', async () => {
    const admin = await registerOrganization('Users Invalid');
    const token = admin.access_token;
    expect((await api('PATCH', `/api/users/${admin.user.id}`, { token, body: {} })).status).toBe(400);
    expect((await api('GET', '/api/users/not-a-uuid', { token })).status).toBe(400);
    expect((await api('GET', `/api/users/${crypto.randomUUID()}`, { token })).status).toBe(404);
    expect((await api('PATCH', `/api/users/${crypto.randomUUID()}`, { token, body: { role: 'viewer' } })).status).toBe(
      404,
    );
    expect((await api('POST', '/api/users', { token, body: { ...newUser(), password: 'short' } })).status).toBe(400);
    expect((await api('GET', '/api/users?cursor=forged', { token })).status).toBe(400);
  });
});

describe('security', () => {
  it('mass assignment: server-owned fields in a body are rejected and move nothing', async () => {
    const a = await registerOrganization('Users Mass A');
    const b = await registerOrganization('Users Mass B');
    const smuggled = { ...newUser(), org_id: b.organization.id };
    const created = await api('POST', '/api/users', { token: a.access_token, body: smuggled });
    expect(created.status).toBe(400);
    expect(((await created.json()) as { errors: { path: string }[] }).errors).toContainEqual({
      path: 'org_id',
      message: 'Unknown field.',
    });
    const user = await apiJson('POST', '/api/users', 201, { token: a.access_token, body: newUser() });
    for (const field of [
      { org_id: b.organization.id },
      { id: crypto.randomUUID() },
      { email: uniqueEmail() },
      { password_hash: 'x' },
      { is_active: false, created_at: '2020-01-01T00:00:00Z' },
    ]) {
      const response = await api('PATCH', `/api/users/${user.id}`, {
        token: a.access_token,
        body: { role: 'reviewer', ...field },
      });
      expect(response.status).toBe(400);
    }
    expect(await apiJson('GET', `/api/users/${user.id}`, 200, { token: a.access_token })).toEqual(user);
    const bUsers = await apiJson('GET', '/api/users', 200, { token: b.access_token });
    expect(bUsers.items.map((u) => u.email)).toEqual([b.user.email]);
  });

  it("another organization's user is 404 to read or change, and stays unchanged", async () => {
    const a = await registerOrganization('Users Foreign A');
    const b = await registerOrganization('Users Foreign B');
    expect((await api('GET', `/api/users/${a.user.id}`, { token: b.access_token })).status).toBe(404);
    expect(
      (await api('PATCH', `/api/users/${a.user.id}`, { token: b.access_token, body: { is_active: false } })).status,
    ).toBe(404);
    expect(await apiJson('GET', `/api/users/${a.user.id}`, 200, { token: a.access_token })).toMatchObject({
      is_active: true,
      role: 'compliance_admin',
    });
  });

  it('deactivation takes effect at once: the access token, the refresh token and the password all stop working', async () => {
    const admin = await registerOrganization('Users Deactivation');
    const viewer = await addUser(admin, 'viewer');
    await apiJson('GET', '/api/auth/me', 200, { token: viewer.access_token });
    await apiJson('PATCH', `/api/users/${viewer.user.id}`, 200, {
      token: admin.access_token,
      body: { is_active: false },
    });
    expect((await api('GET', '/api/auth/me', { token: viewer.access_token })).status).toBe(401);
    expect((await api('POST', '/api/auth/refresh', { body: { refresh_token: viewer.refresh_token } })).status).toBe(
      401,
    );
    expect(
      (await api('POST', '/api/auth/login', { body: { email: viewer.user.email, password: viewer.password } })).status,
    ).toBe(401);
    await apiJson('PATCH', `/api/users/${viewer.user.id}`, 200, {
      token: admin.access_token,
      body: { is_active: true },
    });
    // Reactivation restores the password, not the sessions revoked by the deactivation.
    expect((await api('POST', '/api/auth/refresh', { body: { refresh_token: viewer.refresh_token } })).status).toBe(
      401,
    );
    await apiJson('POST', '/api/auth/login', 200, { body: { email: viewer.user.email, password: viewer.password } });
  });

  it('a role change takes effect at once on an existing access token', async () => {
    const admin = await registerOrganization('Users Demotion');
    await setPlan(admin.organization.id, 'pro');
    const second = await addUser(admin, 'compliance_admin');
    await apiJson('GET', '/api/users', 200, { token: second.access_token });
    await apiJson('PATCH', `/api/users/${second.user.id}`, 200, {
      token: admin.access_token,
      body: { role: 'viewer' },
    });
    expect((await api('GET', '/api/users', { token: second.access_token })).status).toBe(403);
  });

  it('a platform operator cannot be changed through the API', async () => {
    const operator = await signInPlatformOperator();
    const other = await signInPlatformOperator();
    const response = await api('PATCH', `/api/users/${other.user.id}`, {
      token: operator.access_token,
      body: { role: 'viewer' },
    });
    expect(response.status).toBe(403);
    expect((await api('GET', '/api/auth/me', { token: other.access_token })).status).toBe(200);
  });
});
