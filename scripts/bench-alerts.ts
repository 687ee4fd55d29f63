/**
 * `npm run bench:alerts`: 1,000 violations routed immediately to a local webhook receiver. Signed
 * pushes of 10 transactions each (every one breaks a rule) arrive one after another; the receiver
 * notes when each delivery arrives. Latency is from the violation's transaction (the `timestamp`
 * of the event, the database's `now()` in the transaction that stored the violation) to its
 * arrival; every violation must arrive exactly once.
 */

import { startAlertReceivers } from './alert-receivers';
import { call, cpuPerUnit, cpuSecondsByProcess, signatureHeader, startBenchServer } from './bench-server';
import { percentile } from './bench-stats';

const VIOLATIONS = Number(process.env.BENCH_VIOLATIONS ?? 1000);
const PER_PUSH = 10;
const WAIT_MS = 120_000;
// After the last arrival: long enough for a duplicate to show up if one were coming.
const SETTLE_MS = 3000;

async function main(): Promise<void> {
  const receivers = await startAlertReceivers();
  const server = await startBenchServer(undefined, { ALERT_ALLOW_PRIVATE_URLS: 'true' });
  try {
    const arrivals = new Map<string, number[]>();
    receivers.onRequest((name, request) => {
      if (name !== 'bench') return;
      const body = JSON.parse(request.body) as { timestamp: string; data: { violation_id: string } };
      const latency = request.received_at - Date.parse(body.timestamp);
      arrivals.set(body.data.violation_id, [...(arrivals.get(body.data.violation_id) ?? []), latency]);
    });
    const rule = await call<{ id: string }>(server, 'POST', '/api/rules', {
      name: 'Every payment',
      severity: 'high',
      condition: { field: 'amount', op: 'gt', value: 0 },
    });
    await call(server, 'POST', `/api/rules/${rule.id}/approve`, {});
    const channel = await call<{ id: string }>(server, 'POST', '/api/alert-channels', {
      name: 'bench receiver',
      type: 'webhook',
      config: { url: `${receivers.httpUrl}/hooks/bench` },
    });
    await call(server, 'POST', '/api/alert-routes', {
      channel_id: channel.id,
      events: ['violation.created'],
      mode: 'immediate',
    });
    const source = await call<{ id: string; signing_secret: string }>(server, 'POST', '/api/sources', {
      name: 'bench',
    });

    console.log(`bench:alerts: pushing ${VIOLATIONS} violating transactions, ${PER_PUSH} a push ...`);
    const cpuBefore = cpuSecondsByProcess();
    const started = performance.now();
    for (let first = 0; first < VIOLATIONS; first += PER_PUSH) {
      const batch = Array.from({ length: Math.min(PER_PUSH, VIOLATIONS - first) }, (_, k) => ({
        id: `ALERT-${first + k}`,
        occurred_at: new Date(Date.UTC(2026, 0, 1) + (first + k) * 60_000).toISOString(),
        amount: `${100 + ((first + k) % 900)}.00`,
        currency: 'USD',
        account: `ACC-${(first + k) % 100}`,
      }));
      const body = JSON.stringify(batch);
      const response = await fetch(`${server.base}/api/ingest/${source.id}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-nitilens-signature': signatureHeader(source.signing_secret, body),
        },
        body,
      });
      if (!response.ok) throw new Error(`push ${first}: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
    }
    const pushSeconds = (performance.now() - started) / 1000;
    const deadline = Date.now() + WAIT_MS;
    while (arrivals.size < VIOLATIONS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const allArrived = (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    console.log(`CPU per violation: ${cpuPerUnit(cpuBefore, cpuSecondsByProcess(), VIOLATIONS)}`);

    const firsts = [...arrivals.values()].map((latencies) => latencies[0]!).sort((a, b) => a - b);
    const deliveries = [...arrivals.values()].reduce((sum, latencies) => sum + latencies.length, 0);
    const result = {
      violations: VIOLATIONS,
      delivered: arrivals.size,
      duplicates: deliveries - arrivals.size,
      push_seconds: Number(pushSeconds.toFixed(2)),
      all_delivered_seconds: Number(allArrived.toFixed(2)),
      p50_ms: Math.round(percentile(firsts, 50)),
      p95_ms: Math.round(percentile(firsts, 95)),
      p99_ms: Math.round(percentile(firsts, 99)),
      max_ms: Math.round(firsts[firsts.length - 1] ?? 0),
    };
    console.log(
      `${result.delivered}/${VIOLATIONS} delivered (${result.duplicates} duplicates) in ${result.all_delivered_seconds} s; ` +
        `stored to received p50 ${result.p50_ms} ms, p95 ${result.p95_ms} ms, p99 ${result.p99_ms} ms`,
    );
    console.log(JSON.stringify(result));
    if (result.delivered !== VIOLATIONS || result.duplicates !== 0) process.exitCode = 1;
  } finally {
    await server.stop();
    await receivers.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
