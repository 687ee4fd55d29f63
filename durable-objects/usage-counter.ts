import { and, eq, sql } from 'drizzle-orm';
import { BACKGROUND_LIMITS, withDatabase } from '../db/client';
import { usage } from '../db/schema';
import { withTenant } from '../db/tenant';
import type { Env } from '../worker/env';
import type { AlarmSchedule } from './alarms';

/**
 * The organization's count of transactions ingested this calendar month (UTC), kept by its OrgHub
 * (the authoritative copy, in Durable Object storage). Reservations happen before inserting; what
 * turns out duplicate, rejected or failed is released. The count is flushed to the Postgres `usage`
 * table by an alarm within a minute of any change, and when the month changes.
 */
type UsageState = { orgId: string; period: string; used: number; flushed: number };

const USAGE_KEY = 'usage';
/** A month that ended with changes Postgres has not seen yet, until the alarm writes them. */
const PREVIOUS_USAGE_KEY = 'usage:previous';
const USAGE_FLUSH_MS = 60_000;
/** The counter's name in the hub's alarm schedule. */
export const USAGE_ALARM = 'usage';

/** The calendar month (UTC) an instant falls in: `2026-03`. */
export function usagePeriod(at: Date): string {
  return at.toISOString().slice(0, 7);
}

/**
 * The month's count as Postgres held it when the caller read it (a webhook push reads it with its
 * source), so that the hub does not read Postgres itself on the month's first use.
 */
export type RecordedUsage = { period: string; used: number };

export class UsageCounter {
  private state: UsageState | undefined;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Env,
    private readonly alarms: AlarmSchedule,
  ) {}

  /**
   * Grants up to `count` (never past `limit`; null is unlimited) and returns the month's count after
   * it; `at` says which month (now, but for a test that plays an earlier one).
   */
  async reserve(
    orgId: string,
    count: number,
    limit: number | null,
    recorded?: RecordedUsage,
    at = new Date(),
  ): Promise<{ granted: number; used: number }> {
    const state = await this.current(orgId, recorded, at);
    const granted = limit === null ? count : Math.max(0, Math.min(count, limit - state.used));
    if (granted > 0) await this.save({ ...state, used: state.used + granted });
    return { granted, used: state.used + granted };
  }

  async release(orgId: string, count: number): Promise<{ used: number }> {
    const state = await this.current(orgId);
    const used = Math.max(0, state.used - count);
    if (used !== state.used) await this.save({ ...state, used });
    return { used };
  }

  /** Writes the count to Postgres if it changed since the last flush (and a month that ended, first). */
  async flush(): Promise<void> {
    const previous = await this.ctx.storage.get<UsageState>(PREVIOUS_USAGE_KEY);
    if (previous) {
      await writeUsage(this.env, previous);
      await this.ctx.storage.delete(PREVIOUS_USAGE_KEY);
    }
    const state = this.state ?? (await this.ctx.storage.get<UsageState>(USAGE_KEY));
    if (!state || state.used === state.flushed) return;
    await writeUsage(this.env, state);
    // Reservations may have moved on while the write was in flight; only what was written is flushed.
    const latest = this.state ?? state;
    this.state = { ...latest, flushed: latest.period === state.period ? state.used : latest.flushed };
    await this.ctx.storage.put(USAGE_KEY, this.state);
    if (this.state.used !== this.state.flushed) await this.alarms.schedule(USAGE_ALARM, Date.now() + USAGE_FLUSH_MS);
  }

  /**
   * Starts the new month when it has begun: the old count is flushed, the new one starts from
   * Postgres (`recorded`, when the caller read it for this month, or read here). Nothing here
   * waits on Postgres when `recorded` is given: a webhook push reserves inside its database
   * transaction, and the embedded PGlite serves one session at a time.
   */
  async current(orgId: string, recorded?: RecordedUsage, at = new Date()): Promise<UsageState> {
    const period = usagePeriod(at);
    if (this.state?.period === period) return this.state;
    await this.ctx.blockConcurrencyWhile(async () => {
      const stored = this.state ?? (await this.ctx.storage.get<UsageState>(USAGE_KEY));
      if (stored?.period === period) {
        this.state = stored;
        return;
      }
      if (stored && stored.used !== stored.flushed) {
        // The ended month's last changes: written by the alarm, which runs at once, not here.
        await this.ctx.storage.put(PREVIOUS_USAGE_KEY, stored);
        await this.alarms.schedule(USAGE_ALARM, Date.now());
      }
      // A new month, or a hub without history (first use, lost storage): Postgres knows the count so far.
      const used = recorded?.period === period ? recorded.used : await readUsage(this.env, orgId, period);
      this.state = { orgId, period, used, flushed: used };
      await this.ctx.storage.put(USAGE_KEY, this.state);
    });
    return this.state!;
  }

  private async save(state: UsageState): Promise<void> {
    this.state = state;
    await this.ctx.storage.put(USAGE_KEY, state);
    await this.alarms.schedule(USAGE_ALARM, Date.now() + USAGE_FLUSH_MS);
  }
}

async function readUsage(env: Env, orgId: string, period: string): Promise<number> {
  return withDatabase(env.HYPERDRIVE.connectionString, BACKGROUND_LIMITS, (db) =>
    withTenant(db, orgId, async (tx) => {
      const [row] = await tx
        .select({ transactions: usage.transactions })
        .from(usage)
        .where(and(eq(usage.orgId, orgId), eq(usage.period, period)));
      return row?.transactions ?? 0;
    }),
  );
}

async function writeUsage(env: Env, state: UsageState): Promise<void> {
  await withDatabase(env.HYPERDRIVE.connectionString, BACKGROUND_LIMITS, (db) =>
    withTenant(db, state.orgId, (tx) =>
      tx
        .insert(usage)
        .values({ orgId: state.orgId, period: state.period, transactions: state.used })
        .onConflictDoUpdate({
          target: [usage.orgId, usage.period],
          set: { transactions: state.used, updatedAt: sql`now()` },
        }),
    ),
  );
}
