/** The code of the error a caller gets when no slot freed up in time (mapped to 503 in worker/platform/database-errors.ts). */
export const SATURATED = 'DATABASE_SATURATED';

const POLL_MS = 10;

/**
 * At most `slots` holders at once. `acquire` resolves to the release function (idempotent), or
 * rejects with code `DATABASE_SATURATED` after `waitMs`. A waiter polls on its own timer rather
 * than being woken by the releaser: in workerd, a promise resolved from another request's
 * context fails ("Cannot perform I/O on behalf of a different request"), and the holders are
 * other requests. So slots are not handed out in arrival order.
 */
export class Semaphore {
  private held = 0;
  private most = 0;

  constructor(private readonly slots: number) {}

  get inUse(): number {
    return this.held;
  }

  /** The most slots held at once since the last call (what tests check the bound with). */
  takePeak(): number {
    const peak = this.most;
    this.most = this.held;
    return peak;
  }

  async acquire(waitMs: number): Promise<() => void> {
    const deadline = Date.now() + waitMs;
    while (this.held >= this.slots) {
      if (Date.now() >= deadline)
        throw Object.assign(new Error(`no database connection free within ${waitMs} ms`), { code: SATURATED });
      // Jittered, so waiters woken together do not all retry at the same instant.
      await new Promise((resolve) => setTimeout(resolve, POLL_MS + Math.random() * POLL_MS));
    }
    this.held++;
    this.most = Math.max(this.most, this.held);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held--;
    };
  }
}
