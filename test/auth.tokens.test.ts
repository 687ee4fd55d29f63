import { env } from 'cloudflare:workers';
import { base64url, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { app } from '../worker/app';
import { issueAccessToken, signingKey } from '../worker/platform/tokens';
import { addUser, api, expectProblem, registerOrganization, type Session } from './helpers';

const OTHER_SECRET = 'another-secret-that-is-long-enough-0123456789';
const now = () => Math.floor(Date.now() / 1000);

type Forgery = {
  secret?: string;
  kid?: string;
  alg?: string;
  iss?: string;
  aud?: string;
  iat?: number;
  exp?: number;
  claims?: Record<string, unknown>;
};

/** A token like the server's, with one thing changed. */
async function forge(session: Session, forgery: Forgery = {}): Promise<string> {
  const secret = forgery.secret ?? env.JWT_SECRET;
  return new SignJWT({ org: session.organization.id, role: session.user.role, ...forgery.claims })
    .setProtectedHeader({ alg: forgery.alg ?? 'HS256', typ: 'JWT', kid: forgery.kid ?? signingKey(secret).kid })
    .setSubject(session.user.id)
    .setJti(crypto.randomUUID())
    .setIssuer(forgery.iss ?? env.JWT_ISSUER)
    .setAudience(forgery.aud ?? env.JWT_AUDIENCE)
    .setIssuedAt(forgery.iat ?? now())
    .setExpirationTime(forgery.exp ?? now() + 900)
    .sign(new TextEncoder().encode(secret));
}

function unsigned(header: object, payload: object): string {
  const encode = (part: object) => base64url.encode(JSON.stringify(part));
  return `${encode(header)}.${encode(payload)}.`;
}

function withPayload(token: string, change: (payload: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split('.');
  const decoded = JSON.parse(new TextDecoder().decode(base64url.decode(payload!))) as Record<string, unknown>;
  change(decoded);
  return `${header}.${base64url.encode(JSON.stringify(decoded))}.${signature}`;
}

const me = (token: string, bindings: typeof env = env) =>
  app.fetch(
    new Request('http://nitilens.test/api/auth/me', { headers: { authorization: `Bearer ${token}` } }),
    bindings,
  );

describe('happy', () => {
  it('a token signed with the previous key is still accepted after a rotation (JWT_PREVIOUS_SECRET)', async () => {
    const admin = await registerOrganization('Tokens Rotation');
    const rotated = { ...env, JWT_SECRET: OTHER_SECRET, JWT_PREVIOUS_SECRET: env.JWT_SECRET };
    expect((await me(admin.access_token, rotated)).status).toBe(200);
    expect((await me(await forge(admin, { secret: OTHER_SECRET }), rotated)).status).toBe(200);
    // Once the previous key is dropped, its tokens stop working.
    expect((await me(admin.access_token, { ...env, JWT_SECRET: OTHER_SECRET })).status).toBe(401);
  });
});

describe('security', () => {
  it('the genuine token works (the baseline of the tampering table)', async () => {
    const admin = await registerOrganization('Tokens Baseline');
    expect((await me(admin.access_token)).status).toBe(200);
    expect((await me(await forge(admin))).status).toBe(200);
  });

  const tampered: [string, (session: Session, other: Session) => Promise<string> | string][] = [
    [
      'alg none',
      (s) =>
        unsigned(
          { alg: 'none', typ: 'JWT', kid: signingKey(env.JWT_SECRET).kid },
          {
            sub: s.user.id,
            org: s.organization.id,
            role: s.user.role,
            jti: crypto.randomUUID(),
            iss: env.JWT_ISSUER,
            aud: env.JWT_AUDIENCE,
            iat: now(),
            exp: now() + 900,
          },
        ),
    ],
    [
      'wrong key under the current key id',
      (s) => forge(s, { secret: OTHER_SECRET, kid: signingKey(env.JWT_SECRET).kid }),
    ],
    ['wrong key under its own key id', (s) => forge(s, { secret: OTHER_SECRET })],
    ['another algorithm with the right key (HS512)', (s) => forge(s, { alg: 'HS512' })],
    [
      'altered payload: another user',
      (s, other) =>
        withPayload(s.access_token, (p) => {
          p.sub = other.user.id;
          p.org = other.organization.id;
        }),
    ],
    [
      'altered payload: a higher role',
      (s) =>
        withPayload(s.access_token, (p) => {
          p.role = 'super_admin';
        }),
    ],
    [
      'altered payload: a later expiry',
      (s) =>
        withPayload(s.access_token, (p) => {
          p.exp = now() + 86_400;
        }),
    ],
    ['expired', (s) => forge(s, { iat: now() - 3600, exp: now() - 60 })],
    ['wrong audience', (s) => forge(s, { aud: 'someone-else' })],
    ['wrong issuer', (s) => forge(s, { iss: 'evil' })],
    ['unknown key id', (s) => forge(s, { kid: 'not-a-key-we-know' })],
    [
      'a required claim missing (jti)',
      (s) =>
        withPayload(s.access_token, (p) => {
          delete p.jti;
        }),
    ],
    ['not a JWT at all', () => 'not.a.jwt'],
    [
      'a signed token whose user belongs to another organization',
      async (s, other) =>
        issueAccessToken(env, { sub: s.user.id, org: other.organization.id, role: 'compliance_admin' }),
    ],
  ];

  it.each(tampered)('%s: 401 problem+json', async (_name, make) => {
    const session = await registerOrganization('Tokens Tampered');
    const other = await registerOrganization('Tokens Other');
    await expectProblem(await me(await make(session, other)), 401);
  });

  it('a missing or malformed Authorization header is 401', async () => {
    const headerSets: Record<string, string>[] = [
      {},
      { authorization: 'Basic abc' },
      { authorization: 'Bearer' },
      { authorization: 'Bearer a b' },
    ];
    for (const headers of headerSets) {
      expect((await api('GET', '/api/auth/me', { headers })).status).toBe(401);
    }
  });

  it('the role in a validly signed token grants nothing: the stored role decides', async () => {
    const admin = await registerOrganization('Tokens Role Claim');
    const viewer = await addUser(admin, 'viewer');
    const inflated = await issueAccessToken(env, {
      sub: viewer.user.id,
      org: viewer.organization.id,
      role: 'super_admin',
    });
    expect((await api('GET', '/api/users', { token: inflated })).status).toBe(403);
    expect((await api('GET', '/api/admin/organizations', { token: inflated })).status).toBe(403);
  });
});
