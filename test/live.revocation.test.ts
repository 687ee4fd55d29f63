import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { CLOSE_ACCESS_CHANGED, CLOSE_EXPIRED, orgHub } from '../durable-objects/org-hub';
import { addUser, api, apiJson, liveTicket, openLiveSocket, registerOrganization, type Session } from './helpers';

function within<T>(promise: Promise<T>, ms = 5_000): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`nothing within ${ms} ms`)), ms)),
  ]);
}

/** A violation announced to the organization's sockets (what a webhook push of a critical hit does). */
async function announceSomething(org: Session): Promise<number> {
  return orgHub(env, org.organization.id).broadcast({ type: 'alert', severity: 'high', title: 'Test', detail: 'x' });
}

describe('security', () => {
  it("closes a deactivated user's open socket at once, and their unused ticket stops working", async () => {
    const admin = await registerOrganization('Live Revocation Org');
    const analyst = await addUser(admin, 'compliance_analyst');
    const live = await openLiveSocket(analyst.access_token);
    const spare = await liveTicket(analyst.access_token);
    expect(await announceSomething(admin)).toBe(1);

    await apiJson('PATCH', `/api/users/${analyst.user.id}`, 200, {
      token: admin.access_token,
      body: { is_active: false },
    });
    expect(await within(live.closed)).toBe(CLOSE_ACCESS_CHANGED);
    const received = live.messages.length;
    expect(await announceSomething(admin)).toBe(0);
    expect(live.messages).toHaveLength(received);
    const refused = await api('GET', `/api/ws?ticket=${spare}`, { headers: { upgrade: 'websocket' } });
    expect(refused.status).toBe(401);
  });

  it("closes a user's sockets when their role changes, and only theirs", async () => {
    const admin = await registerOrganization('Live Role Org');
    const reviewer = await addUser(admin, 'reviewer');
    const theirs = await openLiveSocket(reviewer.access_token);
    const adminSocket = await openLiveSocket(admin.access_token);
    await apiJson('PATCH', `/api/users/${reviewer.user.id}`, 200, {
      token: admin.access_token,
      body: { role: 'viewer' },
    });
    expect(await within(theirs.closed)).toBe(CLOSE_ACCESS_CHANGED);
    expect(await announceSomething(admin)).toBe(1);
    expect(adminSocket.socket.readyState).toBe(WebSocket.OPEN);
    adminSocket.socket.close();
  });

  it("closes the user's sockets on logout", async () => {
    const admin = await registerOrganization('Live Logout Org');
    const live = await openLiveSocket(admin.access_token);
    await apiJson('POST', '/api/auth/logout', 204, { body: { refresh_token: admin.refresh_token } });
    expect(await within(live.closed)).toBe(CLOSE_ACCESS_CHANGED);
  });

  it('gives a socket a bounded lifetime and sweeps unused tickets with the hub alarm', async () => {
    const admin = await registerOrganization('Live Lifetime Org');
    const live = await openLiveSocket(admin.access_token);
    const unused = await liveTicket(admin.access_token);
    const hub = orgHub(env, admin.organization.id);
    const tickets = () =>
      runInDurableObject(hub, async (_instance, state) => (await state.storage.list({ prefix: 'ticket:' })).size);
    expect(await tickets()).toBe(1);
    // The alarm run early stands for its armed time: first the tickets' expiry (each 60 s after its
    // issue), then the socket's end of life 15 minutes after it opened.
    for (let run = 0; run < 3 && (await tickets()) > 0; run++) await runDurableObjectAlarm(hub);
    expect(await tickets()).toBe(0);
    expect(live.socket.readyState).toBe(WebSocket.OPEN);
    await runDurableObjectAlarm(hub);
    expect(await within(live.closed)).toBe(CLOSE_EXPIRED);
    const refused = await api('GET', `/api/ws?ticket=${unused}`, { headers: { upgrade: 'websocket' } });
    expect(refused.status).toBe(401);
  });

  it('answers a ping with a pong', async () => {
    const admin = await registerOrganization('Live Ping Org');
    const live = await openLiveSocket(admin.access_token);
    live.socket.send('ping');
    const deadline = Date.now() + 5_000;
    while (live.messages.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(live.messages).toEqual(['{"type":"pong"}']);
    live.socket.close();
  });
});
