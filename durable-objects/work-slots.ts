/** One running piece of expensive work; it frees itself at `expiresAt` if its Worker never says it finished. */
type Lease = { token: string; expiresAt: number };

export type SlotGrant = { granted: true; token: string } | { granted: false; running: number; retryAfter: number };

const KEY_PREFIX = 'slots:';

/**
 * Per-organization limits on concurrent expensive work (rule tests, policy impact). The hub's
 * input gate makes each acquire a single read-modify-write, so concurrent requests cannot all slip
 * under the limit.
 */
export class WorkSlots {
  constructor(private readonly storage: DurableObjectStorage) {}

  async acquire(kind: string, limit: number, leaseMs: number, now = Date.now()): Promise<SlotGrant> {
    const leases = await this.live(kind, now);
    if (leases.length >= limit) {
      const soonest = Math.min(...leases.map((lease) => lease.expiresAt));
      return {
        granted: false,
        running: leases.length,
        retryAfter: Math.min(5, Math.max(1, Math.ceil((soonest - now) / 1000))),
      };
    }
    const token = crypto.randomUUID();
    await this.storage.put<Lease[]>(KEY_PREFIX + kind, [...leases, { token, expiresAt: now + leaseMs }]);
    return { granted: true, token };
  }

  async release(kind: string, token: string, now = Date.now()): Promise<void> {
    const leases = (await this.live(kind, now)).filter((lease) => lease.token !== token);
    if (leases.length === 0) await this.storage.delete(KEY_PREFIX + kind);
    else await this.storage.put<Lease[]>(KEY_PREFIX + kind, leases);
  }

  private async live(kind: string, now: number): Promise<Lease[]> {
    return ((await this.storage.get<Lease[]>(KEY_PREFIX + kind)) ?? []).filter((lease) => lease.expiresAt > now);
  }
}
