import { describe, expect, it } from 'vitest';
import { CONNECTION_SLOTS, takeConnectionPeak } from '../db/cloudflare-socket';
import { SATURATED, Semaphore } from '../db/semaphore';
import { databaseUnavailable } from '../worker/platform/database-errors';
import { api, registerOrganization } from './helpers';

describe('happy', () => {
  it('200 concurrent logins are answered 200, or 503 with Retry-After when the database is saturated, never 500', async () => {
    const admin = await registerOrganization('Login Crowd');
    takeConnectionPeak();
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        api('POST', '/api/auth/login', {
          body: { email: admin.user.email, password: admin.password },
          headers: { 'cf-connecting-ip': `203.0.113.${(i % 250) + 1}` },
        }),
      ),
    );
    // The Worker runs in this isolate: its connections went through the bound.
    const peak = takeConnectionPeak();
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(CONNECTION_SLOTS);
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s >= 500 && s !== 503)).toEqual([]);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    for (const response of responses) {
      if (response.status === 503) {
        expect(response.headers.get('content-type')).toBe('application/problem+json');
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
      await response.body?.cancel();
    }
    // 200 logins through a bounded number of connections take a while on a shared machine.
  }, 120_000);
});

describe('sad', () => {
  it('a connection that finds no free slot in time is a 503 with Retry-After', async () => {
    const gate = new Semaphore(2);
    const first = await gate.acquire(50);
    await gate.acquire(50);
    const refused = await gate.acquire(20).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ code: SATURATED });
    const answer = databaseUnavailable(refused);
    expect(answer).toMatchObject({ status: 503 });
    expect(answer?.headers).toMatchObject({ 'Retry-After': '1' });
    // A slot given back (once, however often release is called) goes to a waiter.
    const waiting = gate.acquire(1_000);
    first();
    first();
    await waiting;
    expect(gate.inUse).toBe(2);
  });
});
