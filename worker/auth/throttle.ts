import type { Env } from '../env';

/**
 * Login throttling for one attempt: the account's counter always, the client IP's when the edge
 * gave one (`CF-Connecting-IP`). Counters live in RateLimiter Durable Objects, not isolate memory.
 */
export function loginThrottle(env: Env, email: string, ip: string | null) {
  const limiter = (key: string) => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key));
  const account = limiter(`email:${email}`);
  const counters = ip ? [account, limiter(`ip:${ip}`)] : [account];
  return {
    /** Seconds until another attempt is allowed; 0 when it is. */
    async retryAfterSeconds(): Promise<number> {
      return Math.max(...(await Promise.all(counters.map((counter) => counter.retryAfterSeconds()))));
    },
    async recordFailure(): Promise<void> {
      await Promise.all(counters.map((counter) => counter.recordFailure()));
    },
    /** A successful sign-in forgives the account's failures, not the IP's. */
    async clearAccount(): Promise<void> {
      await account.clear();
    },
  };
}
