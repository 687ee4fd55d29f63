import { describe, expect, it } from 'vitest';
import { apiJson, approvedRule, openLiveSocket, registerOrganization } from './helpers';
import { insertTransactions } from './rules-fixtures';

async function until(condition: () => boolean, timeoutMs = 25_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the expected live events did not arrive');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('happy', () => {
  it('a scan announces its progress, its new high-severity violations and its completion on the socket', async () => {
    const org = await registerOrganization('Live Scan Org');
    await approvedRule(org.access_token, {
      name: 'Large',
      severity: 'critical',
      condition: { field: 'amount', op: 'gt', value: 1000 },
    });
    await approvedRule(org.access_token, {
      name: 'Small',
      severity: 'low',
      condition: { field: 'amount', op: 'lt', value: 100 },
    });
    await insertTransactions(org.organization.id, [
      { id: 'L1', occurred_at: '2026-07-01T09:00:00Z', amount: '5000.00' },
      { id: 'L2', occurred_at: '2026-07-01T10:00:00Z', amount: '50.00' },
      { id: 'L3', occurred_at: '2026-07-01T11:00:00Z', amount: '500.00' },
    ]);
    const { events, socket } = await openLiveSocket(org.access_token);
    const { id } = await apiJson('POST', '/api/scans', 202, { token: org.access_token, body: {} });
    await until(() => events().some((event) => event.type === 'scan.completed'));
    socket.close();

    expect(
      events()
        .filter((e) => e.type === 'scan.progress')
        .at(-1),
    ).toEqual({
      type: 'scan.progress',
      scan_id: id,
      processed: 3,
      total: 3,
      violations_found: 2,
    });
    expect(events().find((e) => e.type === 'scan.completed')).toEqual({
      type: 'scan.completed',
      scan_id: id,
      status: 'completed',
      processed: 3,
      total: 3,
      violations_found: 2,
    });
    const announced = events().filter((e) => e.type === 'violation.created');
    expect(announced).toEqual([
      {
        type: 'violation.created',
        violation: expect.objectContaining({
          transaction_id: 'L1',
          severity: 'critical',
          explanation: expect.stringContaining('5,000.00'),
        }),
      },
    ]);
  });
});

describe('security', () => {
  it("one organization's scan events never reach another organization's socket", async () => {
    const watched = await registerOrganization('Live Watched Org');
    const bystander = await registerOrganization('Live Bystander Org');
    await approvedRule(watched.access_token, {
      name: 'Large',
      severity: 'high',
      condition: { field: 'amount', op: 'gt', value: 1 },
    });
    await insertTransactions(watched.organization.id, [
      { id: 'B1', occurred_at: '2026-07-02T09:00:00Z', amount: '5000.00' },
    ]);
    const theirs = await openLiveSocket(watched.access_token);
    const mine = await openLiveSocket(bystander.access_token);
    await apiJson('POST', '/api/scans', 202, { token: watched.access_token, body: {} });
    await until(() => theirs.events().some((event) => event.type === 'scan.completed'));
    theirs.socket.close();
    mine.socket.close();
    expect(mine.events()).toEqual([]);
  });
});
