/**
 * `npm run bench:cases`: an organization with 100,000 cases over 1,000,000 violations (ten a case,
 * one transaction each), seeded in Postgres with generate_series; then, through the Worker, each
 * inbox filter of `GET /api/cases` and `GET /api/cases/counts` (p50 / p95 over 40 sequential
 * requests each, after 5 warm-up requests), and bulk closes of 500 open cases (set-based, with
 * their events, violation statuses and audit entries). Targets: p95 <= 50 ms,
 * bulk close of 500 <= 2 s. BENCH_CASES / BENCH_VIOLATIONS_PER_CASE scale it down.
 */

import postgres from 'postgres';
import { type BenchServer, call, startBenchServer } from './bench-server';
import { percentile } from './bench-stats';

const CASES = Number(process.env.BENCH_CASES ?? 100_000);
const PER_CASE = Number(process.env.BENCH_VIOLATIONS_PER_CASE ?? 10);
const REQUESTS = 40;
const WARMUP = 5;
const BULK_ROUNDS = 3;
const BULK_SIZE = 500;

/** Cases in every status, priority and SLA state; a tenth assigned to the benchmark's own user. */
async function seed(server: BenchServer, ruleId: string): Promise<void> {
  const sql = postgres(server.databaseUrl, { max: 1, onnotice: () => {} });
  const org = server.orgId;
  try {
    const [version] = await sql<{ id: string }[]>`select id from rule_versions where rule_id = ${ruleId}`;
    const [me] = await sql<{ id: string }[]>`select id from users where org_id = ${org}`;
    const analysts = await sql<{ id: string }[]>`
      insert into users (org_id, email, full_name, role, password_hash)
      select ${org}, 'analyst-' || g || '-' || ${org} || '@bench.local', 'Analyst ' || g, 'compliance_analyst', 'unused'
      from generate_series(1, 9) g returning id`;
    const assignees = [me!.id, ...analysts.map((a) => a.id)];
    const total = CASES * PER_CASE;
    console.log(`bench:cases: seeding ${total} transactions and violations, ${CASES} cases ...`);
    let started = performance.now();
    await sql`
      insert into transactions (org_id, external_id, occurred_at, amount, currency, account, type)
      select ${org}, 'BENCH-' || g, timestamptz '2026-01-01' + make_interval(secs => g), (g % 90000 + 100)::numeric,
        'USD', 'ACC-' || (g % ${CASES}), 'wire'
      from generate_series(1, ${total}) g`;
    console.log(`  transactions: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    started = performance.now();
    // Statuses: 60% closed, 20% open, 10% investigating, 10% pending_info; a deadline spread from
    // breached to days away, so every SLA filter has rows.
    await sql`
      insert into cases (org_id, number, title, status, priority, assignee_id, assigned_at, account, grouped,
        violation_count, sla_minutes, due_at, due_soon_at, paused_at, escalated, outcome, close_reason, closed_at, created_at)
      select ${org}, g, 'Wire above threshold on ACC-' || (g - 1), s.status,
        (array['low','medium','high','critical'])[g % 4 + 1],
        case when g % 3 = 0 then null else (${assignees}::uuid[])[g % ${assignees.length} + 1] end,
        case when g % 3 = 0 then null else now() end,
        'ACC-' || (g - 1), s.status <> 'closed', ${PER_CASE}, 1440,
        now() + make_interval(mins => (g % 2000) - 500),
        now() + make_interval(mins => (g % 2000) - 500 - 288),
        case when s.status = 'pending_info' then now() end,
        (g % 2000) < 500 and s.status <> 'pending_info',
        case when s.status = 'closed' then (array['confirmed','false_positive','inconclusive'])[g % 3 + 1] end,
        case when s.status = 'closed' then 'benchmark' end,
        case when s.status = 'closed' then now() end,
        now() - make_interval(mins => 1440 - (g % 2000) + 500)
      from generate_series(1, ${CASES}) g,
        lateral (select case when g % 10 < 6 then 'closed' when g % 10 < 8 then 'open'
          when g % 10 = 8 then 'investigating' else 'pending_info' end as status) s`;
    await sql`
      insert into case_settings (org_id, next_number) values (${org}, ${CASES + 1})
      on conflict (org_id) do update set next_number = excluded.next_number`;
    console.log(`  cases: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    started = performance.now();
    await sql`
      insert into violations (org_id, rule_id, rule_version_id, rule_version, transaction_id, severity, risk_score,
        explanation, evidence, status, case_id)
      select ${org}, ${ruleId}, ${version!.id}, 1, t.id, c.priority, 50, 'amount > 100', '{}'::jsonb,
        case c.outcome when 'confirmed' then 'resolved' when 'false_positive' then 'false_positive'
          when 'inconclusive' then 'reviewed' else 'open' end, c.id
      from transactions t join cases c on c.org_id = t.org_id and c.account = t.account
      where t.org_id = ${org}`;
    console.log(`  violations: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    await sql`analyze transactions`;
    await sql`analyze violations`;
    // Autovacuum vacuums and analyzes a table soon after a load this size (its insert threshold);
    // done here at once, so the counts' partial indexes are read without heap visits (the
    // visibility map) and the search keys the cases' trigger wrote have statistics.
    await sql`vacuum (analyze) cases`;
    await sql`vacuum (analyze) case_search_keys`;
  } finally {
    await sql.end();
  }
}

async function timeRequests(server: BenchServer, path: string): Promise<{ p50: number; p95: number; items: number }> {
  let items = 0;
  for (let i = 0; i < WARMUP; i++) await call(server, 'GET', path);
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const started = performance.now();
    const body = await call<{ items?: unknown[] }>(server, 'GET', path);
    times.push(performance.now() - started);
    items = body.items?.length ?? 0;
  }
  times.sort((a, b) => a - b);
  return { p50: Number(percentile(times, 50).toFixed(1)), p95: Number(percentile(times, 95).toFixed(1)), items };
}

async function main(): Promise<void> {
  const server = await startBenchServer();
  try {
    const rule = await call<{ id: string }>(server, 'POST', '/api/rules', {
      name: 'Wire above threshold',
      severity: 'high',
      condition: { field: 'amount', op: 'gt', value: 100 },
    });
    await call(server, 'POST', `/api/rules/${rule.id}/approve`, {});
    await seed(server, rule.id);

    const filters: Record<string, string> = {
      none: '',
      open_inbox: 'open=true',
      status: 'status=investigating',
      assignee_me: 'assignee_id=me',
      unassigned: 'assignee_id=none&open=true',
      priority: 'priority=critical',
      sla_breached: 'sla=breached',
      sla_due_soon: 'sla=due_soon',
      account: `account=ACC-${Math.floor(CASES / 2)}`,
      search: `q=ACC-${Math.floor(CASES / 3)}`,
      number: `q=${Math.floor(CASES / 4)}`,
      second_page: '',
    };
    const first = await call<{ next_cursor: string }>(server, 'GET', '/api/cases?limit=50');
    filters.second_page = `cursor=${first.next_cursor}`;
    const lists: Record<string, { p50: number; p95: number; items: number }> = {};
    for (const [name, query] of Object.entries(filters)) {
      lists[name] = await timeRequests(server, `/api/cases?limit=50${query ? `&${query}` : ''}`);
      console.log(
        `GET /api/cases ${name}: p50 ${lists[name].p50} ms, p95 ${lists[name].p95} ms (${lists[name].items} items)`,
      );
    }
    const counts = await timeRequests(server, '/api/cases/counts');
    console.log(`GET /api/cases/counts: p50 ${counts.p50} ms, p95 ${counts.p95} ms`);

    const bulk: number[] = [];
    for (let round = 0; round < BULK_ROUNDS; round++) {
      const ids: string[] = [];
      let cursor: string | null = null;
      while (ids.length < BULK_SIZE) {
        const page: { items: { id: string }[]; next_cursor: string | null } = await call(
          server,
          'GET',
          `/api/cases?limit=200&status=open${cursor ? `&cursor=${cursor}` : ''}`,
        );
        ids.push(...page.items.map((c) => c.id));
        cursor = page.next_cursor;
        if (!cursor) break;
      }
      const started = performance.now();
      const result = await call<{ updated: number; errors: unknown[] }>(server, 'POST', '/api/cases/bulk', {
        case_ids: ids.slice(0, BULK_SIZE),
        action: 'close',
        outcome: 'confirmed',
        reason: 'Benchmark bulk close',
      });
      bulk.push(performance.now() - started);
      if (result.updated !== Math.min(BULK_SIZE, ids.length)) throw new Error(`bulk closed ${result.updated}`);
      console.log(`bulk close of ${result.updated} cases: ${(bulk[round]! / 1000).toFixed(2)} s`);
    }
    const worstP95 = Math.max(...Object.values(lists).map((l) => l.p95), counts.p95);
    const result = {
      cases: CASES,
      violations: CASES * PER_CASE,
      list_p95_ms: Object.fromEntries(Object.entries(lists).map(([name, l]) => [name, l.p95])),
      counts_p95_ms: counts.p95,
      worst_p95_ms: worstP95,
      bulk_close_500_seconds: bulk.map((ms) => Number((ms / 1000).toFixed(2))),
    };
    console.log(JSON.stringify(result));
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
