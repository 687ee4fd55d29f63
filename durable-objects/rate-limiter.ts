import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../worker/env';

const FAILURE_WINDOW_MS = 15 * 60 * 1000;
const MAX_FAILURES = 5;

/**
 * Login throttling counters, one object per throttled key (`email:<email>` or `ip:<ip>`). The
 * object's input gate makes each read-modify-write atomic, so concurrent failures all count.
 */
export class RateLimiter extends DurableObject<Env> {
  /** 0 when another attempt is allowed; otherwise the seconds until the oldest failure leaves the window. */
  async retryAfterSeconds(): Promise<number> {
    const now = Date.now();
    const failures = await this.recentFailures(now);
    if (failures.length < MAX_FAILURES) return 0;
    const oldest = failures[failures.length - MAX_FAILURES]!;
    return Math.max(1, Math.ceil((oldest + FAILURE_WINDOW_MS - now) / 1000));
  }

  async recordFailure(): Promise<void> {
    const now = Date.now();
    // Only the last MAX_FAILURES matter: the oldest of them decides when the key is free again.
    const failures = [...(await this.recentFailures(now)), now].slice(-MAX_FAILURES);
    await this.ctx.storage.put('failures', failures);
    await this.ctx.storage.setAlarm(now + FAILURE_WINDOW_MS);
  }

  async clear(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }

  /** Fires once the newest failure has left the window: nothing is left worth keeping. */
  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }

  private async recentFailures(now: number): Promise<number[]> {
    const failures = (await this.ctx.storage.get<number[]>('failures')) ?? [];
    return failures.filter((at) => at > now - FAILURE_WINDOW_MS);
  }
}
