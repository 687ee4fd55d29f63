import { describe, expect, it } from 'vitest';
import { api, apiJson, expectProblem, registerOrganization, uniqueEmail } from './helpers';

let lastOctet = 0;
/** A fresh client address per use, so only the counter under test fills up. */
const freshIp = () => `198.51.${Math.floor(lastOctet / 250)}.${(lastOctet++ % 250) + 1}`;

const login = (email: string, password: string, ip = freshIp()) =>
  api('POST', '/api/auth/login', { body: { email, password }, headers: { 'cf-connecting-ip': ip } });

async function expectThrottled(response: Response, maxSeconds = 15 * 60) {
  await expectProblem(response, 429);
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
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
  it('5 failures of an account from one address: 429 there with Retry-After, even with the right password; one audit row', async () => {
    const admin = await registerOrganization('Throttle Account');
    const attacker = freshIp();
    for (let i = 0; i < 5; i++)
      expect((await login(admin.user.email, `wrong password ${i}`, attacker)).status).toBe(401);
    await expectThrottled(await login(admin.user.email, admin.password, attacker));
    await expectThrottled(await login(admin.user.email.toUpperCase(), admin.password, attacker));
    for (let i = 0; i < 10; i++) await expectThrottled(await login(admin.user.email, 'still guessing', attacker));
    // The owner, from their own address, is not locked out by someone else's guesses.
    expect((await login(admin.user.email, admin.password)).status).toBe(200);
    const audit = await apiJson('GET', '/api/audit?action=auth.login_throttled', 200, { token: admin.access_token });
    // Twelve refusals, one audit row for the window: hammering a locked account cannot fill the log.
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]!.details.retry_after).toBeGreaterThanOrEqual(1);
  });

  it('20 failures of an account from many addresses: a softer account-wide backoff, from any address', async () => {
    const admin = await registerOrganization('Throttle Distributed');
    for (let i = 0; i < 20; i++) expect((await login(admin.user.email, `wrong password ${i}`)).status).toBe(401);
    await expectThrottled(await login(admin.user.email, admin.password));
  });

  it('concurrent guesses cannot race the counter: of 40 at once from one address, at most 5 are checked', async () => {
    const admin = await registerOrganization('Throttle Race');
    const attacker = freshIp();
    const statuses = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => (await login(admin.user.email, `guess ${i}`, attacker)).status),
    );
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(35);
  });

  it('unknown emails count too, so throttling does not reveal which accounts exist', async () => {
    const ghost = uniqueEmail('ghost');
    const address = freshIp();
    for (let i = 0; i < 5; i++) expect((await login(ghost, 'whatever password', address)).status).toBe(401);
    await expectThrottled(await login(ghost, 'whatever password', address));
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

describe('security: registration', () => {
  it('throttles registrations per client address: the sixth in an hour is 429 with Retry-After', async () => {
    const address = freshIp();
    const register = () =>
      api('POST', '/api/auth/register', {
        body: {
          org_name: 'Signup Flood',
          email: uniqueEmail('flood'),
          password: 'correct horse battery',
          full_name: 'F',
        },
        headers: { 'cf-connecting-ip': address },
      });
    for (let i = 0; i < 5; i++) expect((await register()).status).toBe(201);
    await expectThrottled(await register(), 60 * 60);
    // Another address is not held up.
    expect(
      (
        await api('POST', '/api/auth/register', {
          body: { org_name: 'Other', email: uniqueEmail('other'), password: 'correct horse battery', full_name: 'O' },
          headers: { 'cf-connecting-ip': freshIp() },
        })
      ).status,
    ).toBe(201);
  });
});
