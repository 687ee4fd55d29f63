import { describe, expect, it } from 'vitest';
import { api, apiJson, registerOrganization, uniqueEmail } from './helpers';

let lastOctet = 0;
/** A fresh client address per use, so only the counter under test fills up. */
const freshIp = () => `198.51.${Math.floor(lastOctet / 250)}.${(lastOctet++ % 250) + 1}`;

const login = (email: string, password: string, ip = freshIp()) =>
  api('POST', '/api/auth/login', { body: { email, password }, headers: { 'cf-connecting-ip': ip } });

async function expectThrottled(response: Response) {
  expect(response.status).toBe(429);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(15 * 60);
  expect(await response.json()).toMatchObject({ status: 429 });
}

describe('happy', () => {
  it('a successful sign-in clears the account counter', async () => {
    const admin = await registerOrganization('Throttle Clears');
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 4; i++) expect((await login(admin.user.email, 'wrong password!')).status).toBe(401);
      expect((await login(admin.user.email, admin.password)).status).toBe(200);
    }
  });
});

describe('security', () => {
  it('5 failures for an account in 15 minutes: 429 with Retry-After, even with the right password, from any address', async () => {
    const admin = await registerOrganization('Throttle Account');
    for (let i = 0; i < 5; i++) expect((await login(admin.user.email, `wrong password ${i}`)).status).toBe(401);
    await expectThrottled(await login(admin.user.email, admin.password));
    await expectThrottled(await login(admin.user.email.toUpperCase(), admin.password));
    const audit = await apiJson<{ items: { action: string; details: { retry_after?: number } }[] }>(
      'GET',
      '/api/audit?action=auth.login_throttled',
      200,
      { token: admin.access_token },
    );
    expect(audit.items.length).toBeGreaterThanOrEqual(1);
    expect(audit.items[0]!.details.retry_after).toBeGreaterThanOrEqual(1);
  });

  it('unknown emails count too, so throttling does not reveal which accounts exist', async () => {
    const ghost = uniqueEmail('ghost');
    for (let i = 0; i < 5; i++) expect((await login(ghost, 'whatever password')).status).toBe(401);
    await expectThrottled(await login(ghost, 'whatever password'));
  });

  it('5 failures from one address, across accounts: 429 for that address only', async () => {
    const admin = await registerOrganization('Throttle Address');
    const attacker = freshIp();
    for (let i = 0; i < 5; i++)
      expect((await login(uniqueEmail('spray'), 'password spray', attacker)).status).toBe(401);
    await expectThrottled(await login(admin.user.email, admin.password, attacker));
    expect((await login(admin.user.email, admin.password)).status).toBe(200);
  });
});
