import { DurableObject } from 'cloudflare:workers';
import { BACKGROUND_LIMITS, withDatabase } from '../db/client';
import { sendDigests } from '../worker/alerts/digest';
import { escalateOrganization } from '../worker/cases/deadlines';
import type { Env } from '../worker/env';
import { flushSoon } from '../worker/platform/metrics';
import { AlarmSchedule } from './alarms';
import { AlertDigests, DIGEST_ALARM } from './alert-digests';
import { type RecordedUsage, USAGE_ALARM, UsageCounter } from './usage-counter';
import { type SlotGrant, WorkSlots } from './work-slots';

/** What the dashboard receives on its socket (contract section 9). */
export type LiveEvent =
  | { type: 'scan.progress'; scan_id: string; processed: number; total: number; violations_found: number }
  | {
      type: 'scan.completed';
      scan_id: string;
      status: 'completed' | 'failed';
      processed: number;
      total: number;
      violations_found: number;
      error?: string;
    }
  | {
      type: 'violation.created';
      violation: { id: string; rule_id: string; transaction_id: string; severity: string; explanation: string };
    }
  | { type: 'alert'; severity: string; title: string; detail: string }
  | {
      type: 'case.created' | 'case.updated';
      case: {
        id: string;
        number: number;
        title: string;
        status: string;
        priority: string;
        assignee_id: string | null;
        account: string | null;
        escalated: boolean;
      };
    };

type SocketAttachment = { userId: string; connectedAt: number };
type StoredTicket = { userId: string; expiresAt: number };

const TICKET_SECONDS = 60;
/** A socket lives as long as the access token that asked for its ticket; the dashboard then reconnects with a new one. */
export const SOCKET_LIFETIME_MS = 15 * 60 * 1000;
/** Close codes the dashboard sees: its access changed (it reconnects only if it still may), or the socket aged out. */
export const CLOSE_ACCESS_CHANGED = 4403;
export const CLOSE_EXPIRED = 4001;
const SOCKETS_ALARM = 'sockets';
const userTag = (userId: string) => `user:${userId}`;
const CASE_ALARM = 'case-deadlines';
const CASE_ORG_KEY = 'cases.org';

/**
 * One per organization (`idFromName(orgId)`): the live WebSocket hub, on the hibernation API so
 * idle sockets cost nothing, and the home of the organization's usage counters.
 */
export class OrgHub extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Pings are answered without waking the object from hibernation.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', JSON.stringify({ type: 'pong' })));
  }

  /** A single-use ticket for opening the organization's socket; valid for 60 seconds, swept by the alarm if unused. */
  async issueTicket(userId: string): Promise<{ ticket: string; expiresIn: number }> {
    const ticket = crypto.randomUUID().replaceAll('-', '') + crypto.randomUUID().replaceAll('-', '');
    const expiresAt = Date.now() + TICKET_SECONDS * 1000;
    await this.ctx.storage.put<StoredTicket>(`ticket:${ticket}`, { userId, expiresAt });
    await this.alarms.schedule(SOCKETS_ALARM, expiresAt);
    return { ticket, expiresIn: TICKET_SECONDS };
  }

  /**
   * Closes every socket of a user whose access changed (deactivated, new role, signed out), and
   * drops their unused tickets; returns how many sockets were closed.
   */
  async closeUserSockets(userId: string): Promise<number> {
    const sockets = this.ctx.getWebSockets(userTag(userId));
    for (const socket of sockets) socket.close(CLOSE_ACCESS_CHANGED, 'access changed');
    const tickets = await this.ctx.storage.list<StoredTicket>({ prefix: 'ticket:' });
    const theirs = [...tickets].filter(([, ticket]) => ticket.userId === userId).map(([key]) => key);
    if (theirs.length > 0) await this.ctx.storage.delete(theirs);
    return sockets.length;
  }

  /** Unused tickets leave storage and sockets older than their lifetime close; the next sweep is set. */
  private async sweepSockets(now: number): Promise<void> {
    let next = Number.POSITIVE_INFINITY;
    for (const socket of this.ctx.getWebSockets()) {
      const attachment = socket.deserializeAttachment() as SocketAttachment | null;
      const closesAt = (attachment?.connectedAt ?? 0) + SOCKET_LIFETIME_MS;
      if (closesAt <= now) socket.close(CLOSE_EXPIRED, 'socket lifetime reached; reconnect with a new ticket');
      else next = Math.min(next, closesAt);
    }
    const expired: string[] = [];
    for (const [key, ticket] of await this.ctx.storage.list<StoredTicket>({ prefix: 'ticket:' })) {
      if (ticket.expiresAt <= now) expired.push(key);
      else next = Math.min(next, ticket.expiresAt);
    }
    if (expired.length > 0) await this.ctx.storage.delete(expired);
    if (next !== Number.POSITIVE_INFINITY) await this.alarms.schedule(SOCKETS_ALARM, next);
  }

  /** Sends an event to every socket of the organization; returns how many were reached. */
  async broadcast(event: LiveEvent): Promise<number> {
    const message = JSON.stringify(event);
    let reached = 0;
    for (const socket of this.ctx.getWebSockets()) {
      try {
        socket.send(message);
        reached++;
      } catch {
        // A socket closing mid-send is not the sender's problem; the close handler cleans up.
      }
    }
    return reached;
  }

  /** Several events in one call: a scan chunk announces its progress and new violations together. */
  async broadcastAll(events: LiveEvent[]): Promise<number> {
    let reached = 0;
    for (const event of events) reached = await this.broadcast(event);
    return reached;
  }

  /** Only for the WebSocket upgrade; the worker has checked the route, the ticket is checked here. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('Expected a WebSocket upgrade', { status: 426 });
    }
    const ticket = new URL(request.url).searchParams.get('ticket') ?? '';
    const key = `ticket:${ticket.split('.')[1] ?? ''}`;
    const stored = await this.ctx.storage.get<StoredTicket>(key);
    await this.ctx.storage.delete(key);
    if (!stored || stored.expiresAt < Date.now()) {
      return new Response('The socket ticket is invalid, used or expired', { status: 401 });
    }
    const { 0: client, 1: server } = new WebSocketPair();
    // Tagged by user, so a change to that user's access finds and closes their sockets.
    this.ctx.acceptWebSocket(server, [userTag(stored.userId)]);
    const connectedAt = Date.now();
    server.serializeAttachment({ userId: stored.userId, connectedAt } satisfies SocketAttachment);
    await this.alarms.schedule(SOCKETS_ALARM, connectedAt + SOCKET_LIFETIME_MS);
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketClose(socket: WebSocket, code: number): Promise<void> {
    socket.close(code === 1005 ? 1000 : code, 'closed');
  }

  // -------------------------------------------------------------------------------------------
  // Usage metering: thin RPC over UsageCounter (durable-objects/usage-counter.ts).

  private alarms = new AlarmSchedule(this.ctx.storage);
  private usageCounter = new UsageCounter(this.ctx, this.env, this.alarms);

  /** Grants up to `count` transactions this month without passing `limit` (null: unlimited). */
  async reserveTransactions(
    orgId: string,
    count: number,
    limit: number | null,
    recorded?: RecordedUsage,
  ): Promise<{ granted: number; used: number }> {
    return this.usageCounter.reserve(orgId, count, limit, recorded);
  }

  /** Gives back reservations that turned out duplicate, rejected or failed. */
  async releaseTransactions(orgId: string, count: number): Promise<{ used: number }> {
    return this.usageCounter.release(orgId, count);
  }

  /** This month's authoritative count, for dashboards (no flush). */
  async currentUsage(orgId: string): Promise<{ period: string; used: number }> {
    const { period, used } = await this.usageCounter.current(orgId);
    return { period, used };
  }

  /** The month's count, starting a new month first when one has begun (the monthly cron calls it). */
  async rolloverUsage(orgId: string): Promise<{ period: string; used: number }> {
    const { period, used } = await this.usageCounter.current(orgId);
    await this.usageCounter.flush();
    return { period, used };
  }

  // -------------------------------------------------------------------------------------------
  // Expensive work: thin RPC over WorkSlots (durable-objects/work-slots.ts).

  private workSlots = new WorkSlots(this.ctx.storage);

  /** A slot for one piece of `kind` work when fewer than `limit` are running; held at most `leaseMs`. */
  async acquireWorkSlot(kind: string, limit: number, leaseMs: number): Promise<SlotGrant> {
    return this.workSlots.acquire(kind, limit, leaseMs);
  }

  async releaseWorkSlot(kind: string, token: string): Promise<void> {
    await this.workSlots.release(kind, token);
  }

  // -------------------------------------------------------------------------------------------
  // Alert digests: thin RPC over AlertDigests (durable-objects/alert-digests.ts).

  private alertDigests = new AlertDigests(this.ctx.storage, this.alarms, (orgId, routeIds) =>
    sendDigests(this.env, orgId, routeIds),
  );

  /** Events for these digest routes were raised: each route's digest goes out within 5 minutes. */
  async gatherAlertDigests(orgId: string, routeIds: string[]): Promise<void> {
    await this.alertDigests.gather(orgId, routeIds);
  }

  // -------------------------------------------------------------------------------------------
  // Case deadlines: the alarm is kept at the earliest deadline of the organization's running
  // cases, so a breach escalates within seconds (the minute cron sweeps behind it).

  /** A case is due at `at` (ms): the alarm goes off then at the latest. */
  async scheduleCaseDeadline(orgId: string, at: number): Promise<void> {
    await this.ctx.storage.put(CASE_ORG_KEY, orgId);
    await this.alarms.schedule(CASE_ALARM, at);
  }

  private async escalateCases(now: number): Promise<void> {
    const orgId = await this.ctx.storage.get<string>(CASE_ORG_KEY);
    if (!orgId) return;
    await withDatabase(this.env.HYPERDRIVE.connectionString, BACKGROUND_LIMITS, async (db) => {
      const { live, next } = await escalateOrganization(this.env, db, orgId, new Date(now));
      await this.broadcastAll(live);
      if (next !== null) await this.alarms.schedule(CASE_ALARM, next);
    });
  }

  /** Each subsystem's due work (the usage flush: within a minute of a change; alert digests; case deadlines; socket and ticket expiry); see AlarmSchedule. */
  override async alarm(): Promise<void> {
    try {
      await this.alarms.run({
        [USAGE_ALARM]: () => this.usageCounter.flush(),
        [DIGEST_ALARM]: (now) => this.alertDigests.run(now),
        [SOCKETS_ALARM]: (now) => this.sweepSockets(now),
        [CASE_ALARM]: (now) => this.escalateCases(now),
      });
    } finally {
      // What the alarm's work counted (events raised, jobs failed) reaches the deployment's metrics.
      flushSoon(this.env, (work) => this.ctx.waitUntil(work));
    }
  }
}

/** The organization's hub, addressed by its id. */
export function orgHub(env: Env, orgId: string): DurableObjectStub<OrgHub> {
  return env.ORG_HUB.get(env.ORG_HUB.idFromName(orgId));
}
