import { describe, expect, it } from 'vitest';
import { api, apiJson, registerOrganization, type Session, uniqueEmail } from './helpers';

type Problem = { type: string; title: string; status: number; detail: string; request_id: string };

const login = (email: string, password: string) => api('POST', '/api/auth/login', { body: { email, password } });

async function auditActions(admin: Session): Promise<string[]> {
  const page = await apiJson('GET', '/api/audit?limit=200', 200, {
    token: admin.access_token,
  });
  return page.items.map((entry) => entry.action);
}

describe('happy', () => {
  it('register, me, login, refresh and logout follow the contract', async () => {
    const admin = await registerOrganization('Sessions Happy');
    expect(admin).toMatchObject({
      token_type: 'Bearer',
      expires_in: 900,
      user: { role: 'compliance_admin', full_name: 'Ada Admin' },
      organization: { name: 'Sessions Happy' },
    });
    expect(await apiJson('GET', '/api/auth/me', 200, { token: admin.access_token })).toEqual({
      user: admin.user,
      organization: admin.organization,
    });
    const signedIn = await apiJson('POST', '/api/auth/login', 200, {
      body: { email: admin.user.email.toUpperCase(), password: admin.password },
    });
    const rotated = await apiJson('POST', '/api/auth/refresh', 200, {
      body: { refresh_token: signedIn.refresh_token },
    });
    expect(rotated.refresh_token).not.toBe(signedIn.refresh_token);
    await apiJson('GET', '/api/auth/me', 200, { token: rotated.access_token });
    expect((await api('POST', '/api/auth/logout', { body: { refresh_token: rotated.refresh_token } })).status).toBe(
      204,
    );
    expect((await api('POST', '/api/auth/refresh', { body: { refresh_token: rotated.refresh_token } })).status).toBe(
      401,
    );
    expect(await auditActions(admin)).toEqual(
      expect.arrayContaining(['organization.registered', 'auth.login_succeeded', 'auth.logout']),
    );
  });
});

describe('errors', () => {
  it('registration validates each field and refuses a taken email', async () => {
    const response = await api('POST', '/api/auth/register', {
      body: { org_name: '', email: 'nope', password: 'short', full_name: 'X' },
    });
    expect(response.status).toBe(400);
    const paths = ((await response.json()) as { errors: { path: string }[] }).errors.map((e) => e.path).sort();
    expect(paths).toEqual(['email', 'org_name', 'password']);
    const admin = await registerOrganization('Sessions Taken');
    const taken = await api('POST', '/api/auth/register', {
      body: { org_name: 'Copy', email: admin.user.email, password: 'long enough password', full_name: 'Y' },
    });
    expect(taken.status).toBe(409);
  });

  it('a password longer than 256 characters is refused', async () => {
    const response = await api('POST', '/api/auth/register', {
      body: { org_name: 'Long', email: uniqueEmail(), password: 'x'.repeat(257), full_name: 'L' },
    });
    expect(response.status).toBe(400);
  });
});

describe('security', () => {
  it('login answers the same 401 for an unknown email and a wrong password', async () => {
    const admin = await registerOrganization('Sessions Same 401');
    const unknown = await login(uniqueEmail('ghost'), admin.password);
    const wrong = await login(admin.user.email, 'not the password at all');
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    const strip = ({ request_id: _ignored, ...rest }: Problem) => rest;
    expect(strip((await unknown.json()) as Problem)).toEqual(strip((await wrong.json()) as Problem));
    expect(await auditActions(admin)).toContain('auth.login_failed');
  });

  it('presenting a rotated refresh token again revokes its whole family', async () => {
    const admin = await registerOrganization('Sessions Reuse');
    const first = await apiJson('POST', '/api/auth/refresh', 200, {
      body: { refresh_token: admin.refresh_token },
    });
    const second = await apiJson('POST', '/api/auth/refresh', 200, {
      body: { refresh_token: first.refresh_token },
    });
    // The stolen first-generation token comes back: the family dies, the legitimate latest token too.
    expect((await api('POST', '/api/auth/refresh', { body: { refresh_token: admin.refresh_token } })).status).toBe(401);
    expect((await api('POST', '/api/auth/refresh', { body: { refresh_token: second.refresh_token } })).status).toBe(
      401,
    );
    // Another session of the same user (another family) is untouched.
    const other = await apiJson('POST', '/api/auth/login', 200, {
      body: { email: admin.user.email, password: admin.password },
    });
    await apiJson('POST', '/api/auth/refresh', 200, { body: { refresh_token: other.refresh_token } });
    expect(await auditActions(other)).toContain('auth.token_reuse_detected');
  });

  it('an unknown or malformed refresh token is 401', async () => {
    for (const refresh_token of ['0'.repeat(64), 'garbage']) {
      expect((await api('POST', '/api/auth/refresh', { body: { refresh_token } })).status).toBe(401);
    }
  });
});
