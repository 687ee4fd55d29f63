/**
 * `npm run bench:reports`: the reports' two targets, through the Worker (the benchmarks' server).
 * 1. The violations CSV of 1,000,000 violations (one transaction each, seeded with
 *    generate_series) in <= 30 s, the Worker's memory staying under 128 MB: every 100 ms during the
 *    export the Worker isolate's heap and ArrayBuffers are read through the V8 inspector (what the
 *    limit applies to), and the workerd process's resident memory, which also holds Miniflare's R2
 *    and queue simulators (an upper bound).
 * 2. The monthly compliance summary PDF over 100,000 violations (a month of the same organization's
 *    data, spread over 30 days, 200 accounts, 4 rules, some cases) in <= 10 s.
 * Each time is the report's own `started_at` to `finished_at`, plus the wall time from the POST to
 * seeing it completed. BENCH_REPORT_VIOLATIONS / BENCH_SUMMARY_VIOLATIONS scale it down.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { type BenchServer, call, startBenchServer } from './bench-server';

const EXPORT_VIOLATIONS = Number(process.env.BENCH_REPORT_VIOLATIONS ?? 1_000_000);
const SUMMARY_VIOLATIONS = Number(process.env.BENCH_SUMMARY_VIOLATIONS ?? 100_000);

/** The resident memory (bytes) of this benchmark's workerd (Miniflare's child; other engineers' are not counted). */
function workerdRss(): number {
  const pids = execFileSync('pgrep', ['-P', String(process.pid), '-x', 'workerd'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .filter(Boolean);
  if (pids.length === 0) throw new Error('no workerd child process found');
  let total = 0;
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      total += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    } catch {
      // A process that ended between listing and reading.
    }
  }
  return total;
}

/**
 * The Worker isolate's own memory, read through the V8 inspector (`Runtime.getHeapUsage`): the
 * JavaScript heap plus the ArrayBuffers it holds (`backingStorageSize`). Production's 128 MB limit
 * applies to the isolate; the process's RSS also holds Miniflare's R2 and queue simulators.
 * `live` collects garbage first: without a limit V8 collects lazily, so the plain reading also
 * counts garbage a limited isolate would have collected.
 */
type HeapSampler = { sample: () => Promise<number>; live: () => Promise<number>; close: () => void };

async function isolateHeapSampler(inspectorPort: number): Promise<HeapSampler> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as {
    id: string;
    webSocketDebuggerUrl?: string;
  }[];
  const target = targets.find((t) => t.id.includes('nitilens')) ?? targets[0];
  if (!target) throw new Error('the inspector lists no Worker');
  const socket = new WebSocket(target.webSocketDebuggerUrl ?? `ws://127.0.0.1:${inspectorPort}/${target.id}`);
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', reject, { once: true });
  });
  const pending = new Map<number, (result: Record<string, number>) => void>();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: Record<string, number> };
    if (message.id !== undefined) pending.get(message.id)?.(message.result ?? {});
  });
  let nextId = 1;
  // An unanswered call reads as nothing after 5 s: the benchmark holds a lock others wait for, it must not hang.
  const send = (method: string) =>
    new Promise<Record<string, number>>((resolve) => {
      const id = nextId++;
      const timer = setTimeout(() => pending.get(id)?.({}), 5000);
      pending.set(id, (result) => {
        clearTimeout(timer);
        pending.delete(id);
        resolve(result);
      });
      socket.send(JSON.stringify({ id, method }));
    });
  const sample = async () => {
    const usage = await send('Runtime.getHeapUsage');
    return (usage.usedSize ?? 0) + (usage.backingStorageSize ?? 0);
  };
  const live = async () => {
    await send('HeapProfiler.collectGarbage');
    return sample();
  };
  return { sample, live, close: () => socket.close() };
}

type Report = {
  id: string;
  status: string;
  started_at: string;
  finished_at: string;
  size: number;
  error: string | null;
};

/** Generates a report, sampling workerd's memory until it completes. */
async function timed(server: BenchServer, heap: HeapSampler, body: Record<string, unknown>) {
  const baseline = workerdRss();
  let peak = baseline;
  let heapPeak = await heap.sample();
  let livePeak = await heap.live();
  let ticks = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, workerdRss());
    // Once a second, what the isolate holds after a collection; in between, the heap as it is.
    const reading = ++ticks % 10 === 0 ? heap.live() : heap.sample();
    void reading.then((bytes) => {
      heapPeak = Math.max(heapPeak, bytes);
      if (ticks % 10 === 0) livePeak = Math.max(livePeak, bytes);
    });
  }, 100);
  const started = performance.now();
  try {
    const queued = await call<Report>(server, 'POST', '/api/reports', body);
    for (;;) {
      const report = await call<Report>(server, 'GET', `/api/reports/${queued.id}`);
      if (report.status === 'failed') throw new Error(`report failed: ${report.error}`);
      if (report.status === 'completed') {
        const wall = (performance.now() - started) / 1000;
        const own = (Date.parse(report.finished_at) - Date.parse(report.started_at)) / 1000;
        const mb = (bytes: number) => bytes / 1024 / 1024;
        return {
          report,
          wall,
          own,
          rssGrowthMb: mb(peak - baseline),
          rssPeakMb: mb(peak),
          isolatePeakMb: mb(heapPeak),
          isolateLivePeakMb: mb(livePeak),
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    clearInterval(sampler);
  }
}

/**
 * `count` transactions and one violation each, detected over [start, start + days): three rules
 * (each its own clause), 200 accounts, some account names in other scripts, explanations of a
 * realistic length. A tenth of the accounts has a case; half of those closed.
 */
async function seed(server: BenchServer, count: number, start: string, days: number, tag: string): Promise<void> {
  const sql = postgres(server.databaseUrl, { max: 1, onnotice: () => {} });
  const org = server.orgId;
  try {
    const rules: { rule_id: string; id: string; severity: string }[] = [];
    for (const [i, severity] of ['critical', 'high', 'medium', 'low'].entries()) {
      const rule = await call<{ id: string }>(server, 'POST', '/api/rules', {
        name: `Bench rule ${tag} ${i + 1}`,
        severity,
        clause_ref: `${i + 3}.${i + 1}`,
        condition: { field: 'amount', op: 'gt', value: 1000 * (i + 1) },
      });
      await call(server, 'POST', `/api/rules/${rule.id}/approve`, {});
      const [version] = await sql<{ id: string }[]>`select id from rule_versions where rule_id = ${rule.id}`;
      rules.push({ rule_id: rule.id, id: version!.id, severity });
    }
    let at = performance.now();
    const seconds = days * 86_400;
    await sql`
      insert into transactions (org_id, external_id, occurred_at, amount, currency, account, counterparty, type)
      select ${org}, ${tag} || '-' || g, ${start}::timestamptz + make_interval(secs => (g::bigint * ${seconds} / ${count})::int),
        (g % 90000 + 100)::numeric, 'USD',
        case when g % 50 = 0 then 'Счёт-' || (g % 200) else 'ACC-' || (g % 200) end, 'CP-' || (g % 5000), 'wire'
      from generate_series(1, ${count}) g`;
    console.log(`  ${count} transactions: ${((performance.now() - at) / 1000).toFixed(1)} s`);
    at = performance.now();
    await sql`
      insert into violations (org_id, rule_id, rule_version_id, rule_version, clause_ref, transaction_id, severity,
        risk_score, explanation, evidence, status, detected_at)
      select ${org}, (${rules.map((r) => r.rule_id)}::uuid[])[t.id % 4 + 1], (${rules.map((r) => r.id)}::uuid[])[t.id % 4 + 1], 1,
        (array['3.1','4.2','5.3','6.4'])[t.id % 4 + 1], t.id, (array['critical','high','medium','low'])[t.id % 4 + 1],
        (t.id % 10000) / 100.0,
        'amount ' || t.amount || ' USD is greater than 1000 (rule amount_over_limit); account ' || t.account || ' over its 30-day average',
        '{}'::jsonb, 'open', t.occurred_at
      from transactions t where t.org_id = ${org} and t.external_id like ${`${tag}-%`}`;
    console.log(`  ${count} violations: ${((performance.now() - at) / 1000).toFixed(1)} s`);
    await sql`
      insert into cases (org_id, number, title, status, priority, account, violation_count, sla_minutes, due_at,
        due_soon_at, escalated, escalated_at, outcome, close_reason, closed_at, created_at)
      select ${org}, (select coalesce(max(number), 0) from cases where org_id = ${org}) + g, 'Bench case ' || g,
        case when g % 2 = 0 then 'closed' else 'open' end, 'high', 'ACC-' || g, 1, 4320,
        ${start}::timestamptz + make_interval(days => g % ${days}) + interval '3 days',
        ${start}::timestamptz + make_interval(days => g % ${days}) + interval '2 days',
        g % 5 = 0, case when g % 5 = 0 then ${start}::timestamptz + make_interval(days => g % ${days}) + interval '3 days' end,
        case when g % 2 = 0 then (array['confirmed','false_positive','inconclusive'])[g % 3 + 1] end,
        case when g % 2 = 0 then 'benchmark' end,
        case when g % 2 = 0 then ${start}::timestamptz + make_interval(days => g % ${days}, hours => g % 48) end,
        ${start}::timestamptz + make_interval(days => g % ${days})
      from generate_series(1, 20) g`;
    await sql`analyze transactions`;
    await sql`analyze violations`;
    await sql`analyze cases`;
  } finally {
    await sql.end();
  }
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

async function main(): Promise<void> {
  // The inspector beside the benchmarks' port, unless one is given.
  process.env.BENCH_INSPECTOR ??= String(Number(process.env.BENCH_PORT ?? 8799) + 1);
  const server = await startBenchServer();
  const heap = await isolateHeapSampler(Number(process.env.BENCH_INSPECTOR));
  try {
    console.log(`bench:reports: seeding ${EXPORT_VIOLATIONS} violations for the CSV export ...`);
    await seed(server, EXPORT_VIOLATIONS, '2025-01-01', 365, 'EXP');
    console.log(`bench:reports: seeding ${SUMMARY_VIOLATIONS} violations in one month for the summary ...`);
    await seed(server, SUMMARY_VIOLATIONS, '2026-10-01', 31, 'SUM');

    const loadBefore = loadAverage();
    const csv = await timed(server, heap, { type: 'violations', format: 'csv', from: '2025-01-01', to: '2025-12-31' });
    console.log(
      `  violations CSV: ${csv.own.toFixed(1)} s (wall ${csv.wall.toFixed(1)} s), ${(csv.report.size / 1024 / 1024).toFixed(0)} MB, workerd RSS +${csv.rssGrowthMb.toFixed(0)} MB (peak ${csv.rssPeakMb.toFixed(0)} MB), the Worker isolate's heap at most ${csv.isolatePeakMb.toFixed(0)} MB (${csv.isolateLivePeakMb.toFixed(0)} MB live after a collection)`,
    );
    const pdf = await timed(server, heap, {
      type: 'compliance_summary',
      format: 'pdf',
      from: '2026-10-01',
      to: '2026-10-31',
    });
    console.log(
      `  summary PDF: ${pdf.own.toFixed(2)} s (wall ${pdf.wall.toFixed(2)} s), ${(pdf.report.size / 1024).toFixed(0)} KB`,
    );
    const result = {
      benchmark: 'reports',
      csv_violations: EXPORT_VIOLATIONS,
      csv_seconds: Number(csv.own.toFixed(2)),
      csv_wall_seconds: Number(csv.wall.toFixed(2)),
      csv_bytes: csv.report.size,
      csv_workerd_rss_growth_mb: Number(csv.rssGrowthMb.toFixed(1)),
      csv_workerd_rss_peak_mb: Number(csv.rssPeakMb.toFixed(1)),
      csv_isolate_heap_peak_mb: Number(csv.isolatePeakMb.toFixed(1)),
      csv_isolate_live_heap_peak_mb: Number(csv.isolateLivePeakMb.toFixed(1)),
      csv_target_met: csv.own <= 30 && csv.isolateLivePeakMb < 128,
      summary_violations: SUMMARY_VIOLATIONS,
      summary_seconds: Number(pdf.own.toFixed(2)),
      summary_wall_seconds: Number(pdf.wall.toFixed(2)),
      summary_bytes: pdf.report.size,
      summary_target_met: pdf.own <= 10,
      load_average_before: loadBefore,
      load_average_after: loadAverage(),
    };
    console.log(JSON.stringify(result));
  } finally {
    heap.close();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
