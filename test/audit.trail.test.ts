import { describe, expect, it } from 'vitest';
import { addUser, api, apiJson, registerOrganization, type Session } from './helpers';

async function signInTimes(session: Session & { password: string }, times: number) {
  for (let i = 0; i < times; i++) {
    await apiJson('POST', '/api/auth/login', 200, {
      body: { email: session.user.email, password: session.password },
      headers: { 'cf-connecting-ip': '203.0.113.7', 'user-agent': 'audit-test/1.0' },
    });
  }
}

describe('happy', () => {
  it('lists the trail newest first, a page at a time, each entry with who, what, where and its hashes', async () => {
    const admin = await registerOrganization('Audit Trail');
    await signInTimes(admin, 4);
    const first = await apiJson('GET', '/api/audit?limit=3', 200, { token: admin.access_token });
    expect(first.items.map((e) => e.seq)).toEqual([5, 4, 3]);
    const second = await apiJson('GET', `/api/audit?limit=3&cursor=${first.next_cursor}`, 200, {
      token: admin.access_token,
    });
    expect(second.items.map((e) => e.seq)).toEqual([2, 1]);
    expect(second.next_cursor).toBeNull();
    expect(first.items[0]).toMatchObject({
      action: 'auth.login_succeeded',
      actor_id: admin.user.id,
      target_type: 'user',
      target_id: admin.user.id,
      ip: '203.0.113.7',
      user_agent: 'audit-test/1.0',
    });
    expect(first.items[0]!.prev_hash).toBe(first.items[1]!.hash);
    expect(second.items[1]).toMatchObject({ seq: 1, action: 'organization.registered', prev_hash: '' });
    expect(await apiJson('GET', `/api/audit/${first.items[0]!.id}`, 200, { token: admin.access_token })).toEqual(
      first.items[0],
    );
  });

  it('filters by action, actor, target and time range', async () => {
    const admin = await registerOrganization('Audit Filters');
    const viewer = await addUser(admin, 'viewer');
    const token = admin.access_token;
    const actions = async (query: string) =>
      (await apiJson('GET', `/api/audit?${query}`, 200, { token })).items.map((e) => e.action);
    expect(await actions('action=user.created')).toEqual(['user.created']);
    expect(await actions(`actor_id=${viewer.user.id}`)).toEqual(['auth.login_succeeded']);
    expect(await actions(`target_type=user&target_id=${viewer.user.id}`)).toEqual([
      'auth.login_succeeded',
      'user.created',
    ]);
    expect(await actions(`to=${encodeURIComponent('2000-01-01T00:00:00Z')}`)).toEqual([]);
    expect(
      await actions(`from=${encodeURIComponent('2000-01-01T00:00:00+00:00')}&action=organization.registered`),
    ).toEqual(['organization.registered']);
  });

  it('verifies an intact chain', async () => {
    const admin = await registerOrganization('Audit Verify');
    await signInTimes(admin, 2);
    expect(await apiJson('GET', '/api/audit/verify', 200, { token: admin.access_token })).toEqual({
      valid: true,
      rows: 3,
    });
  });
});

describe('errors', () => {
  it('rejects malformed filters and cursors', async () => {
    const admin = await registerOrganization('Audit Bad Filters');
    for (const query of ['actor_id=nope', 'from=yesterday', 'limit=0', 'limit=201', 'cursor=WyJ4Il0']) {
      expect((await api('GET', `/api/audit?${query}`, { token: admin.access_token })).status).toBe(400);
    }
  });
});

describe('security', () => {
  it("each organization sees only its own trail, and another organization's entry is 404", async () => {
    const a = await registerOrganization('Audit Own A');
    const b = await registerOrganization('Audit Own B');
    const aEntries = await apiJson('GET', '/api/audit', 200, { token: a.access_token });
    const bEntries = await apiJson('GET', '/api/audit', 200, { token: b.access_token });
    expect(bEntries.items.map((e) => e.actor_id)).toEqual([b.user.id]);
    expect((await api('GET', `/api/audit/${aEntries.items[0]!.id}`, { token: b.access_token })).status).toBe(404);
  });
});
