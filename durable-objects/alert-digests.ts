import type { AlarmSchedule } from './alarms';

/** The digests' name in the hub's alarm schedule. */
export const DIGEST_ALARM = 'alert-digests';
/** A route's digest goes out at most this often. */
export const DIGEST_WINDOW_MS = 5 * 60_000;

const STATE_KEY = 'alert-digests';

/** When each route's next digest is due; the organization is the hub's own. */
type DigestState = { orgId: string; due: Record<string, number> };

/** Sends the digests of these routes (their waiting events are in Postgres); returns those that sent one. */
export type SendDigests = (orgId: string, routeIds: string[]) => Promise<string[]>;

/**
 * When the organization's alert digests go out. An event for a digest route opens a 5-minute
 * window unless one is open; when it closes, the route's waiting events go out as one message.
 * A digest that went out opens the next window at once, so the route sends at most once per 5
 * minutes, and events whose transaction committed just after the fold still go out with the next
 * one; a window that closes with nothing waiting sends nothing and opens no other.
 */
export class AlertDigests {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly alarms: AlarmSchedule,
    private readonly send: SendDigests,
  ) {}

  /** Events for these routes are waiting: each gets a window unless it has one. */
  async gather(orgId: string, routeIds: string[], now = Date.now()): Promise<void> {
    const state = (await this.storage.get<DigestState>(STATE_KEY)) ?? { orgId, due: {} };
    const opened = routeIds.filter((routeId) => state.due[routeId] === undefined);
    if (opened.length === 0) return;
    for (const routeId of opened) state.due[routeId] = now + DIGEST_WINDOW_MS;
    await this.storage.put(STATE_KEY, state);
    await this.alarms.schedule(DIGEST_ALARM, Math.min(...Object.values(state.due)));
  }

  /** The alarm task: sends the digests whose window has closed. A failure leaves them due (retried). */
  async run(now: number): Promise<void> {
    const state = await this.storage.get<DigestState>(STATE_KEY);
    if (!state) return;
    const closed = Object.keys(state.due).filter((routeId) => state.due[routeId]! <= now);
    const sent = new Set(closed.length === 0 ? [] : await this.send(state.orgId, closed));
    // Read again: routes gathered while the digests were being sent are kept (they were not closed).
    const latest = (await this.storage.get<DigestState>(STATE_KEY)) ?? state;
    for (const routeId of closed) {
      if (sent.has(routeId)) latest.due[routeId] = now + DIGEST_WINDOW_MS;
      else delete latest.due[routeId];
    }
    await this.storage.put(STATE_KEY, latest);
    const next = Object.values(latest.due);
    if (next.length > 0) await this.alarms.schedule(DIGEST_ALARM, Math.min(...next));
  }
}
