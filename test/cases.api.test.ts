import { runDurableObjectAlarm } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import type { z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../db/tenant';
import { sweepCaseDeadlines } from '../worker/cases/deadlines';
import type { caseView } from '../worker/cases/schemas';
import { receiver } from './alerts-fixtures';
import {
  addUser,
  api,
  apiJson,
  approvedRule,
  createSource,
  pushSigned,
  registerOrganization,
  type Session,
  setPlan,
  withDatabase,
} from './helpers';

type Case = z.infer<typeof caseView>;

type Problem = { errors: { path: string; message: string }[] };

let org: Session;
let analyst: Session & { password: string };
let source: { id: string; signing_secret: string };
let critical: { id: string };
let low: { id: string };
let seq = 0;

/** A pushed transaction; amounts over 10,000 are critical, over 100 low (rules below). */
function transaction(account: string, amount: string) {
  seq += 1;
  return {
    id: `CASE-${seq}-${crypto.randomUUID().slice(0, 6)}`,
    occurred_at: '2026-03-01T09:30:00Z',
    amount,
    currency: 'USD',
    account,
  };
}

async function push(...items: ReturnType<typeof transaction>[]) {
  const response = await pushSigned(source.id, source.signing_secret, items);
  expect(response.status).toBe(200);
  return response.json() as Promise<{ results: { violations: unknown[] }[] }>;
}

const get = <P extends string>(path: P, session: { access_token: string } = org) =>
  apiJson('GET', path, 200, { token: session.access_token });
const list = async (query = '', session: { access_token: string } = org) =>
  (await get(`/api/cases?limit=200${query}`, session)).items;
const patch = <S extends number = 200>(
  id: string,
  body: unknown,
  status: S = 200 as S,
  session: { access_token: string } = org,
) => apiJson('PATCH', `/api/cases/${id}`, status, { token: session.access_token, body });

async function caseOfAccount(account: string): Promise<Case> {
  const [found] = await list(`&account=${account}`);
  if (!found) throw new Error(`no case for ${account}`);
  return found;
}

/** The inbox counters (kept by triggers) agree with the cases as listed. */
async function expectCountsOfList(session: Session = org) {
  const open = (await list('', session)).filter((c) => c.status !== 'closed');
  const counts = await get('/api/cases/counts', session);
  expect(counts).toEqual({
    open: open.length,
    unassigned: open.filter((c) => c.assignee === null).length,
    mine: open.filter((c) => c.assignee?.id === session.user.id).length,
    breached: open.filter((c) => c.sla.state === 'breached').length,
    due_soon: open.filter((c) => c.sla.state === 'due_soon').length,
  });
}

beforeAll(async () => {
  org = await registerOrganization('Cases Org');
  await setPlan(org.organization.id, 'enterprise');
  analyst = await addUser(org, 'compliance_analyst');
  source = await createSource(org.access_token);
  critical = await approvedRule(org.access_token, {
    name: 'Very large payment',
    severity: 'critical',
    clause_ref: '4.2',
    condition: { field: 'amount', op: 'gt', value: 10000 },
  });
  low = await approvedRule(org.access_token, {
    name: 'Any payment',
    severity: 'low',
    condition: { field: 'amount', op: 'gt', value: 100 },
  });
});

describe('happy', () => {
  it('has the contract defaults, and an admin changes them', async () => {
    const fresh = await registerOrganization('Cases Settings');
    expect(await get('/api/cases/settings', fresh)).toEqual({
      auto_create_min_severity: 'high',
      group_by: 'account',
      auto_assign: false,
      sla_minutes: { critical: 1440, high: 4320, medium: 10080, low: 20160 },
    });
    const changed = await apiJson('PUT', '/api/cases/settings', 200, {
      token: fresh.access_token,
      body: { auto_create_min_severity: null, sla_minutes: { critical: 1 } },
    });
    expect(changed).toMatchObject({ auto_create_min_severity: null, sla_minutes: { critical: 1, high: 4320 } });
    expect(await get('/api/cases/settings', fresh)).toEqual(changed);
  });

  it('a critical violation opens a case for its account, later ones join it; low ones open none', async () => {
    const pushed = await push(transaction('ACC-A', '20000'));
    expect(pushed.results[0]!.violations).toHaveLength(2);
    const opened = await caseOfAccount('ACC-A');
    expect(opened).toMatchObject({
      number: expect.any(Number),
      title: 'Very large payment on ACC-A',
      status: 'open',
      priority: 'critical',
      assignee: null,
      account: 'ACC-A',
      violation_count: 1,
      sla: { state: 'on_track' },
      escalated: false,
      outcome: null,
      closed_at: null,
    });
    // Due one day (the critical SLA) after creation.
    const detail = await get(`/api/cases/${opened.id}`);
    expect(Date.parse(detail.due_at) - Date.now()).toBeGreaterThan(1439 * 60_000);
    expect(detail.violations![0]).toMatchObject({ rule_name: 'Very large payment', clause_ref: '4.2', status: 'open' });

    await push(transaction('ACC-A', '30000'), transaction('ACC-B', '500'));
    const joined = await get(`/api/cases/${opened.id}`);
    expect(joined.violation_count).toBe(2);
    expect(await list('&account=ACC-B')).toEqual([]);
    const events = await get(`/api/cases/${opened.id}/events`);
    expect(events.map((e) => e.type)).toEqual(['created', 'violation_added']);
    expect(events[0]!.actor).toBeNull();
  });

  it('works a case: assign, pending_info stops the clock, close as false positive; precision follows', async () => {
    await push(transaction('ACC-W', '15000'));
    const opened = await caseOfAccount('ACC-W');
    const assigned = await patch(opened.id, { assignee_id: analyst.user.id });
    expect(assigned.assignee).toEqual({ id: analyst.user.id, full_name: analyst.user.full_name });
    expect((await list('&assignee_id=me', analyst)).map((c) => c.id)).toContain(opened.id);

    const paused = await patch(opened.id, { status: 'pending_info' }, 200, analyst);
    expect(paused.sla.state).toBe('paused');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // The deadline moves later by the time spent in pending_info, so far.
    const whilePaused = await get(`/api/cases/${opened.id}`);
    expect(Date.parse(whilePaused.due_at) - Date.parse(opened.due_at)).toBeGreaterThanOrEqual(1000);
    const resumed = await patch(opened.id, { status: 'investigating' }, 200, analyst);
    expect(resumed.sla.state).toBe('on_track');
    expect(Date.parse(resumed.due_at) - Date.parse(opened.due_at)).toBeGreaterThanOrEqual(1000);

    const closed = await patch(
      opened.id,
      { status: 'closed', outcome: 'false_positive', reason: 'Known supplier' },
      200,
      analyst,
    );
    expect(closed).toMatchObject({ status: 'closed', outcome: 'false_positive', closed_at: expect.any(String) });
    expect(closed.violations!.every((v) => v.status === 'false_positive')).toBe(true);
    const types = (await get(`/api/cases/${opened.id}/events`)).map((e) => e.type);
    expect(types).toEqual(['created', 'assigned', 'status_changed', 'status_changed', 'closed']);

    const performance = await get(`/api/rules/${critical.id}/performance`);
    expect(performance).toMatchObject({ false_positive: 1, confirmed: 0, precision: 0 });
    expect(performance.by_version).toEqual([expect.objectContaining({ version: 1, false_positive: 1 })]);
    expect(performance.median_hours_to_close).toEqual(expect.any(Number));

    await push(transaction('ACC-W2', '15000'));
    const confirmed = await patch((await caseOfAccount('ACC-W2')).id, {
      status: 'closed',
      outcome: 'confirmed',
      reason: 'Reported',
    });
    expect(confirmed.violations!.every((v) => v.status === 'resolved')).toBe(true);
    expect((await get(`/api/rules/${critical.id}/performance`)).precision).toBe(0.5);

    // A new violation of a closed case's account opens a new case.
    await push(transaction('ACC-W', '15000'));
    expect((await list('&account=ACC-W')).map((c) => c.status)).toEqual(['open', 'closed']);

    const audit = await get('/api/audit?limit=50');
    expect(audit.items.map((a) => a.action)).toEqual(expect.arrayContaining(['case.updated', 'case.closed']));
  });

  it('only a compliance admin reopens a closed case', async () => {
    await push(transaction('ACC-R', '15000'));
    const opened = await caseOfAccount('ACC-R');
    await patch(opened.id, { status: 'closed', outcome: 'inconclusive', reason: 'No data' });
    await patch(opened.id, { status: 'investigating' }, 403, analyst);
    const reopened = await patch(opened.id, { status: 'investigating' });
    expect(reopened).toMatchObject({ status: 'investigating', outcome: null, closed_at: null });
    expect((await get(`/api/cases/${opened.id}/events`)).at(-1)!.type).toBe('reopened');
  });

  it('comments join the history with their author', async () => {
    const [any] = await list();
    const comment = await apiJson('POST', `/api/cases/${any!.id}/comments`, 201, {
      token: analyst.access_token,
      body: { body: 'Asked the branch for the invoice.' },
    });
    expect(comment).toMatchObject({
      type: 'comment',
      actor: { id: analyst.user.id },
      data: { body: 'Asked the branch for the invoice.' },
    });
  });

  it('opens a case by hand from selected violations', async () => {
    const pushed = await push(transaction('ACC-M', '500'));
    const violations = await get(`/api/violations?rule_id=${low.id}&limit=200`);
    expect(pushed.results[0]!.violations).toHaveLength(1);
    const manual = await apiJson('POST', '/api/cases', 201, {
      token: analyst.access_token,
      body: { violation_ids: [violations.items[0]!.id], title: 'Look at this', assignee_id: analyst.user.id },
    });
    expect(manual).toMatchObject({
      title: 'Look at this',
      priority: 'low',
      violation_count: 1,
      assignee: { id: analyst.user.id },
    });
    await apiJson('POST', '/api/cases', 409, {
      token: org.access_token,
      body: { violation_ids: [violations.items[0]!.id] },
    });
  });

  it('filters the inbox and pages it with a cursor', async () => {
    const all = await list();
    expect(all.map((c) => c.number)).toEqual([...all.map((c) => c.number)].sort((a, b) => b - a));
    expect((await list('&status=closed')).every((c) => c.status === 'closed')).toBe(true);
    expect((await list('&priority=low')).every((c) => c.priority === 'low')).toBe(true);
    expect((await list('&assignee_id=none')).every((c) => c.assignee === null)).toBe(true);
    expect((await list('&q=ACC-R')).map((c) => c.account)).toEqual(['ACC-R']);
    // Words match from the start of a word of the title or the account, case-insensitively.
    const titled = all.find((c) => c.account === 'ACC-R')!;
    const middleWord = titled.title.split(' ')[1]!;
    expect((await list(`&q=${encodeURIComponent(middleWord.slice(0, 3).toUpperCase())}`)).map((c) => c.id)).toContain(
      titled.id,
    );
    expect(await list('&q=zzzz-nothing')).toEqual([]);
    expect((await list(`&q=${all[0]!.number}`)).map((c) => c.id)).toContain(all[0]!.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Case[]; next_cursor: string | null } = await get(
        `/api/cases?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.items.map((c) => c.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all.map((c) => c.id));
    await expectCountsOfList();
  });

  it('bulk-closes cases, each wholly or not at all', async () => {
    await push(transaction('ACC-B1', '15000'), transaction('ACC-B2', '15000'));
    const ids = [(await caseOfAccount('ACC-B1')).id, (await caseOfAccount('ACC-B2')).id];
    const closedAlready = (await list('&status=closed'))[0]!.id;
    const missing = crypto.randomUUID();
    const result = await apiJson('POST', '/api/cases/bulk', 200, {
      token: org.access_token,
      body: {
        case_ids: [...ids, closedAlready, missing],
        action: 'close',
        outcome: 'confirmed',
        reason: 'Batch review',
      },
    });
    expect(result).toEqual({
      updated: 2,
      errors: [
        { id: closedAlready, message: expect.stringContaining('closed') },
        { id: missing, message: 'Case was not found.' },
      ],
    });
    for (const id of ids) expect((await get(`/api/cases/${id}`)).status).toBe('closed');
  });

  it('bulk-assigns and pauses cases, each with its own event', async () => {
    await push(transaction('ACC-BA1', '15000'), transaction('ACC-BA2', '15000'));
    const ids = [(await caseOfAccount('ACC-BA1')).id, (await caseOfAccount('ACC-BA2')).id];
    const assigned = await apiJson('POST', '/api/cases/bulk', 200, {
      token: org.access_token,
      body: { case_ids: ids, action: 'assign', assignee_id: analyst.user.id },
    });
    expect(assigned).toEqual({ updated: 2, errors: [] });
    await expectCountsOfList(analyst);
    const paused = await apiJson('POST', '/api/cases/bulk', 200, {
      token: analyst.access_token,
      body: { case_ids: ids, action: 'status', status: 'pending_info' },
    });
    expect(paused).toEqual({ updated: 2, errors: [] });
    for (const id of ids) {
      const c = await get(`/api/cases/${id}`);
      expect(c).toMatchObject({ status: 'pending_info', assignee: { id: analyst.user.id }, sla: { state: 'paused' } });
      const types = (await get(`/api/cases/${id}/events`)).map((e) => e.type);
      expect(types).toEqual(['created', 'assigned', 'status_changed']);
    }
    await apiJson('POST', '/api/cases/bulk', 400, {
      token: org.access_token,
      body: { case_ids: ids, action: 'assign', assignee_id: crypto.randomUUID() },
    });
  });

  it('escalates at the deadline from the hub alarm, once, and raises case.sla_breached', async () => {
    const fast = await registerOrganization('Cases Escalation');
    const hook = receiver();
    const channel = await apiJson('POST', '/api/alert-channels', 201, {
      token: fast.access_token,
      body: { name: 'Hook', type: 'webhook', config: { url: hook.url } },
    });
    await apiJson('POST', '/api/alert-routes', 201, {
      token: fast.access_token,
      body: { channel_id: channel.id, events: ['case.sla_breached'], mode: 'immediate' },
    });
    await apiJson('PUT', '/api/cases/settings', 200, {
      token: fast.access_token,
      body: { sla_minutes: { critical: 1 } },
    });
    const fastSource = await createSource(fast.access_token);
    await approvedRule(fast.access_token, {
      severity: 'critical',
      condition: { field: 'amount', op: 'gt', value: 10000 },
    });
    await pushSigned(fastSource.id, fastSource.signing_secret, [transaction('ACC-E', '50000')]);
    const [opened] = (await get('/api/cases', fast)).items;
    expect(opened!.sla.state).toBe('on_track');

    // The hub's alarm is kept at the case's deadline; run early, a run stands for its armed time
    // (the usage flush may be armed first: each run moves on to the next time).
    const hub = env.ORG_HUB.get(env.ORG_HUB.idFromName(fast.organization.id));
    let escalated = opened!;
    for (let run = 0; run < 5 && !escalated.escalated; run++) {
      expect(await runDurableObjectAlarm(hub)).toBe(true);
      escalated = await get(`/api/cases/${opened!.id}`, fast);
    }
    expect(escalated.escalated).toBe(true);
    const [delivered] = await hook.waitFor(1);
    expect(JSON.parse(delivered!.body) as unknown).toMatchObject({
      type: 'case.sla_breached',
      data: { case_id: opened!.id, priority: 'critical', account: 'ACC-E' },
    });
    // The sweep finds nothing left to escalate: an escalation happens once.
    await withDatabase((db) => sweepCaseDeadlines(env, db, new Date(Date.now() + 3_600_000)));
    const events = await get(`/api/cases/${opened!.id}/events`, fast);
    expect(events.filter((e) => e.type === 'escalated')).toHaveLength(1);
  });

  it('the minute sweep escalates what no alarm did', async () => {
    await push(transaction('ACC-S', '15000'));
    const opened = await caseOfAccount('ACC-S');
    await withDatabase((db) => sweepCaseDeadlines(env, db, new Date(Date.parse(opened.due_at) + 1000)));
    const swept = await get(`/api/cases/${opened.id}`);
    expect(swept.escalated).toBe(true);
  });

  it('a snoozed rule stores suppressed violations for that account and opens no case', async () => {
    const snooze = await apiJson('POST', `/api/rules/${critical.id}/snoozes`, 201, {
      token: analyst.access_token,
      body: { account: 'ACC-Z', until: new Date(Date.now() + 3_600_000).toISOString(), reason: 'Known treasury moves' },
    });
    expect(snooze).toMatchObject({ account: 'ACC-Z', active: true });
    await push(transaction('ACC-Z', '15000'));
    expect(await list('&account=ACC-Z')).toEqual([]);
    const suppressed = await get(`/api/violations?rule_id=${critical.id}&status=suppressed`);
    expect(suppressed.items).toHaveLength(1);
    expect(await get(`/api/rules/${critical.id}/snoozes`)).toHaveLength(1);

    await apiJson('DELETE', `/api/rules/${critical.id}/snoozes/${snooze.id}`, 204, { token: analyst.access_token });
    await push(transaction('ACC-Z', '15000'));
    expect(await list('&account=ACC-Z')).toHaveLength(1);
  });

  it('auto-assigns to the least-loaded analyst; a deactivated analyst gives their cases back', async () => {
    const team = await registerOrganization('Cases Team');
    const first = await addUser(team, 'compliance_analyst');
    await addUser(team, 'compliance_analyst');
    await apiJson('PUT', '/api/cases/settings', 200, { token: team.access_token, body: { auto_assign: true } });
    const teamSource = await createSource(team.access_token);
    await approvedRule(team.access_token, { severity: 'high', condition: { field: 'amount', op: 'gt', value: 10 } });
    await pushSigned(teamSource.id, teamSource.signing_secret, [
      transaction('T-1', '50'),
      transaction('T-2', '50'),
      transaction('T-3', '50'),
      transaction('T-4', '50'),
    ]);
    const cases = (await get('/api/cases', team)).items;
    const load = new Map<string, number>();
    for (const c of cases) load.set(c.assignee!.id, (load.get(c.assignee!.id) ?? 0) + 1);
    expect([...load.values()]).toEqual([2, 2]);

    await apiJson('PATCH', `/api/users/${first.user.id}`, 200, {
      token: team.access_token,
      body: { is_active: false },
    });
    const after = (await get('/api/cases?assignee_id=none', team)).items;
    expect(after).toHaveLength(2);
    await apiJson('PATCH', `/api/cases/${after[0]!.id}`, 400, {
      token: team.access_token,
      body: { assignee_id: first.user.id },
    });
  });
});

describe('errors', () => {
  it('closing needs an outcome and a reason; an outcome alone is refused', async () => {
    await push(transaction('ACC-X', '15000'));
    const opened = await caseOfAccount('ACC-X');
    const noOutcome = await api('PATCH', `/api/cases/${opened.id}`, {
      token: org.access_token,
      body: { status: 'closed' },
    });
    expect(noOutcome.status).toBe(400);
    expect(((await noOutcome.json()) as Problem).errors).toEqual([
      { path: 'outcome', message: 'Closing needs an outcome.' },
    ]);
    const noReason = await api('PATCH', `/api/cases/${opened.id}`, {
      token: org.access_token,
      body: { status: 'closed', outcome: 'confirmed' },
    });
    expect(((await noReason.json()) as Problem).errors).toEqual([
      { path: 'reason', message: 'Closing needs a reason.' },
    ]);
    await patch(opened.id, { outcome: 'confirmed', reason: 'x' }, 400);
    await patch(opened.id, { status: 'nope' }, 400);
  });

  it("pages through a case's violations beyond the case page's first ones, by keyset", async () => {
    await push(...Array.from({ length: 5 }, (_, i) => transaction('ACC-PAGE', String(20000 + i))));
    const paged = await caseOfAccount('ACC-PAGE');
    const detail = await get(`/api/cases/${paged.id}`);
    expect(detail.violations).toHaveLength(5);
    expect(detail.violations_next_cursor).toBeNull();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: string }[]; next_cursor: string | null } = await get(
        `/api/cases/${paged.id}/violations?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((v) => v.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(detail.violations.map((v) => v.id));
    await apiJson('GET', `/api/cases/${paged.id}/violations?cursor=forged`, 400, { token: org.access_token });
  });

  it('lists the members a case may be assigned to, for anyone who reads cases', async () => {
    const viewer = await addUser(org, 'viewer');
    const assignees = await get('/api/cases/assignees', viewer);
    const ids = assignees.map((a) => a.id);
    expect(ids).toContain(org.user.id);
    expect(ids).toContain(analyst.user.id);
    expect(ids).not.toContain(viewer.user.id);
  });

  it('an assignee must be an active member who may change case status', async () => {
    const viewer = await addUser(org, 'viewer');
    const [any] = await list('&status=open');
    const response = await api('PATCH', `/api/cases/${any!.id}`, {
      token: org.access_token,
      body: { assignee_id: viewer.user.id },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Problem).errors[0]!.path).toBe('assignee_id');
  });

  it('SLAs are at least one minute; unknown settings fields are refused', async () => {
    await apiJson('PUT', '/api/cases/settings', 400, { token: org.access_token, body: { sla_minutes: { high: 0 } } });
    await apiJson('PUT', '/api/cases/settings', 400, { token: org.access_token, body: { escalate: true } });
  });

  it('a snooze ends in the future', async () => {
    await apiJson('POST', `/api/rules/${critical.id}/snoozes`, 400, {
      token: org.access_token,
      body: { account: 'ACC-1', until: '2020-01-01T00:00:00Z', reason: 'past' },
    });
  });
});

describe('security', () => {
  it("another organization's case, rule feedback and snooze are 404", async () => {
    const other = await registerOrganization('Cases Other');
    const [mine] = await list();
    expect((await api('GET', `/api/cases/${mine!.id}`, { token: other.access_token })).status).toBe(404);
    expect(
      (await api('PATCH', `/api/cases/${mine!.id}`, { token: other.access_token, body: { title: 'x' } })).status,
    ).toBe(404);
    expect((await api('GET', `/api/rules/${critical.id}/performance`, { token: other.access_token })).status).toBe(404);
    const bulk = await apiJson('POST', '/api/cases/bulk', 200, {
      token: other.access_token,
      body: { case_ids: [mine!.id], action: 'status', status: 'investigating' },
    });
    expect(bulk).toEqual({ updated: 0, errors: [{ id: mine!.id, message: 'Case was not found.' }] });
    expect(
      await withDatabase((db) =>
        withTenant(db, other.organization.id, (tx) => tx.execute(sql`select count(*)::int as n from cases`)),
      ),
    ).toEqual([{ n: 0 }]);
  });

  it('a viewer reads cases but changes none; only admins see settings', async () => {
    const viewer = await addUser(org, 'viewer');
    const [any] = await list();
    expect((await get(`/api/cases/${any!.id}`, viewer)).id).toBe(any!.id);
    expect(
      (await api('PATCH', `/api/cases/${any!.id}`, { token: viewer.access_token, body: { title: 'x' } })).status,
    ).toBe(403);
    expect((await api('GET', '/api/cases/settings', { token: analyst.access_token })).status).toBe(403);
  });
});
