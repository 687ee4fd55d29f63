import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { CLOSE_ACCESS_CHANGED, CLOSE_EXPIRED, orgHub } from '../durable-objects/org-hub';
import { addUser, api, apiJson, registerOrganization, type Session } from './helpers';

type Opened = { socket: WebSocket; messages: string[]; closed: Promise<number> };

async function ticketFor(session: { access_token: string }): Promise<string> {
  return (await apiJson('POST', '/api/ws/ticket', 200, { token: session.access_token })).ticket;
}

/** Opens the live socket as the dashboard does; `closed` resolves with the close code the server sent. */
async function openSocket(session: { access_token: string }, ticket?: string): Promise<Opened> {
  const response = await api('GET', `/api/ws?ticket=${ticket ?? (await ticketFor(session))}`, {
    headers: { upgrade: 'websocket' },
  });
  expect(response.status).toBe(101);
  const socket = response.webSocket!;
  const messages: string[] = [];
  const closed = new Promise<number>((resolve) => socket.addEventListener('close', (event) => resolve(event.code)));
  socket.addEventListener('message', (event: MessageEvent) => messages.push(event.data as string));
  socket.accept();
  return { socket, messages, closed };
}

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
    const live = await openSocket(analyst);
    const spare = await ticketFor(analyst);
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
    const theirs = await openSocket(reviewer);
    const adminSocket = await openSocket(admin);
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
    const live = await openSocket(admin);
    await apiJson('POST', '/api/auth/logout', 204, { body: { refresh_token: admin.refresh_token } });
    expect(await within(live.closed)).toBe(CLOSE_ACCESS_CHANGED);
  });

  it('gives a socket a bounded lifetime and sweeps unused tickets with the hub alarm', async () => {
    const admin = await registerOrganization('Live Lifetime Org');
    const live = await openSocket(admin);
    const unused = await ticketFor(admin);
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
    const live = await openSocket(admin);
    live.socket.send('ping');
    const deadline = Date.now() + 5_000;
    while (live.messages.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(live.messages.map((m) => JSON.parse(m))).toEqual([{ type: 'pong' }]);
    live.socket.close();
  });
});
