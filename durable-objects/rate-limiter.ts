import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../worker/env';

/** One counted attempt: its time and the token that lets its caller take it back. */
type Attempt = { at: number; token: string };

export type Reservation = { allowed: true; token: string } | { allowed: false; retryAfter: number };

/**
 * A sliding-window attempt counter, one object per throttled key (`login:<email>|<ip>`,
 * `account:<email>`, `ip:<ip>`, `register:<ip>`). An attempt is reserved before the work it
 * guards (hashing a password) in one read-modify-write under the object's input gate, so
 * concurrent attempts cannot all pass a check made before any of them is counted.
 */
export class RateLimiter extends DurableObject<Env> {
  /** Counts an attempt when fewer than `limit` were made in the last `windowMs`; otherwise says when to retry. */
  async reserve(limit: number, windowMs: number): Promise<Reservation> {
    const now = Date.now();
    const attempts = await this.recent(now, windowMs);
    if (attempts.length >= limit) {
      const oldest = attempts[attempts.length - limit]!;
      return { allowed: false, retryAfter: Math.max(1, Math.ceil((oldest.at + windowMs - now) / 1000)) };
    }
    const token = crypto.randomUUID();
    // Only the last `limit` matter: the oldest of them decides when the key is free again.
    await this.ctx.storage.put('attempts', [...attempts, { at: now, token }].slice(-limit));
    await this.ctx.storage.put('window', windowMs);
    await this.ctx.storage.setAlarm(now + windowMs);
    return { allowed: true, token };
  }

  /** Takes a reserved attempt back (it succeeded, or another counter refused it). */
  async release(token: string): Promise<void> {
    const attempts = (await this.ctx.storage.get<Attempt[]>('attempts')) ?? [];
    await this.ctx.storage.put(
      'attempts',
      attempts.filter((attempt) => attempt.token !== token),
    );
  }

  /**
   * True once per `windowMs`: whether this refusal should be written to the audit log, so an
   * attacker hammering a locked account cannot fill it.
   */
  async firstRefusalIn(windowMs: number): Promise<boolean> {
    const now = Date.now();
    const last = await this.ctx.storage.get<number>('refusal-noted');
    if (last !== undefined && last > now - windowMs) return false;
    await this.ctx.storage.put('refusal-noted', now);
    return true;
  }

  async clear(): Promise<void> {
    await this.ctx.storage.delete('attempts');
  }

  /** Fires once the newest attempt has left the window: nothing is left worth keeping. */
  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }

  private async recent(now: number, windowMs: number): Promise<Attempt[]> {
    const attempts = (await this.ctx.storage.get<Attempt[]>('attempts')) ?? [];
    return attempts.filter((attempt) => attempt.at > now - windowMs);
  }
}
