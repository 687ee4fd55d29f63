import type { RateLimiter, Reservation } from '../../durable-objects/rate-limiter';
import type { Env } from '../env';
import { ApiError } from '../platform/errors';

const LOGIN_WINDOW_MS = 15 * 60 * 1000;
/** Failures of one account from one client address: the hard limit. */
const PAIR_LIMIT = 5;
/** Failures from one address across accounts (password spraying). */
const ADDRESS_LIMIT = 5;
/**
 * Failures of one account from every address: softer, so one attacker's address cannot lock the
 * owner out; only many addresses at once can slow the owner down, for one window at most.
 */
const ACCOUNT_LIMIT = 20;

const REGISTER_WINDOW_MS = 60 * 60 * 1000;
const REGISTER_LIMIT = 5;

type Counter = { stub: DurableObjectStub<RateLimiter>; limit: number; windowMs: number };

function counter(env: Env, key: string, limit: number, windowMs: number): Counter {
  return { stub: env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key)), limit, windowMs };
}

/**
 * Reserves one attempt on every counter, or none: one counter after the other in a fixed order
 * (the narrowest first), stopping at the first that refuses and giving back what the earlier ones
 * granted, so a refused attempt does not count. The refusal is a 429 with that counter's Retry-After.
 */
async function reserveAll(counters: Counter[], message: (seconds: number) => string) {
  const granted: { counter: Counter; token: string }[] = [];
  for (const counter of counters) {
    const result: Reservation = await counter.stub.reserve(counter.limit, counter.windowMs);
    if (!result.allowed) {
      await Promise.all(granted.map((g) => g.counter.stub.release(g.token)));
      return {
        refused: new ApiError(
          'too_many_requests',
          message(result.retryAfter),
          {},
          {
            'Retry-After': String(result.retryAfter),
          },
        ),
      };
    }
    granted.push({ counter, token: result.token });
  }
  return { granted };
}

/**
 * Login throttling for one attempt, reserved before the password is hashed. Counters live in
 * RateLimiter Durable Objects, not isolate memory; the client address is `CF-Connecting-IP`.
 */
export async function reserveLoginAttempt(env: Env, email: string, ip: string | null) {
  const pair = counter(env, `login:${email}|${ip ?? '-'}`, PAIR_LIMIT, LOGIN_WINDOW_MS);
  const account = counter(env, `account:${email}`, ACCOUNT_LIMIT, LOGIN_WINDOW_MS);
  const address = ip ? [counter(env, `ip:${ip}`, ADDRESS_LIMIT, LOGIN_WINDOW_MS)] : [];
  const result = await reserveAll(
    [pair, account, ...address],
    (s) => `Too many failed sign-in attempts. Try again in ${s} seconds.`,
  );
  return {
    refused: result.refused,
    /** True at most once a window per account: whether to audit this refusal. */
    async refusalWorthAuditing(): Promise<boolean> {
      return account.stub.firstRefusalIn(LOGIN_WINDOW_MS);
    },
    /** The password was right: the account's failures are forgiven, and this attempt was no failure. */
    async succeeded(): Promise<void> {
      await Promise.all(
        (result.granted ?? []).map((g) =>
          g.counter === pair || g.counter === account ? g.counter.stub.clear() : g.counter.stub.release(g.token),
        ),
      );
    },
  };
}

/** Registrations from one client address: 5 an hour. Without an address (local runs) nothing is counted. */
export async function reserveRegistration(env: Env, ip: string | null): Promise<void> {
  if (!ip) return;
  const { refused } = await reserveAll(
    [counter(env, `register:${ip}`, REGISTER_LIMIT, REGISTER_WINDOW_MS)],
    (s) => `Too many organizations registered from this address. Try again in ${s} seconds.`,
  );
  if (refused) throw refused;
}
