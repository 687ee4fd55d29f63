import { describe, expect, it } from 'vitest';
import { addUser, api, apiJson, approvedRule, registerOrganization } from './helpers';

/** Splits CRLF-ended rows of a CSV whose fields hold no line breaks (enough for these entries). */
function csvRows(text: string): string[][] {
  return text
    .trimEnd()
    .split('\r\n')
    .map((line) => {
      const fields: string[] = [];
      for (const match of line.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)) {
        const raw = match[1] ?? '';
        fields.push(raw.startsWith('"') ? raw.slice(1, -1).replaceAll('""', '"') : raw);
      }
      return fields;
    });
}

describe('happy', () => {
  it('names the actor and the target of each entry, keeping their ids', async () => {
    const admin = await registerOrganization('Audit Names');
    const viewer = await addUser(admin, 'viewer');
    const rule = await approvedRule(admin.access_token, {
      name: 'Cash over 10k',
      condition: { field: 'amount', op: 'gt', value: 10000 },
    });
    const { items } = await apiJson('GET', '/api/audit?limit=200', 200, {
      token: admin.access_token,
    });
    expect(items.find((e) => e.action === 'user.created')).toMatchObject({
      actor_id: admin.user.id,
      actor_name: 'Ada Admin',
      target_type: 'user',
      target_id: viewer.user.id,
      target_name: 'A viewer',
    });
    const approval = items.find((e) => e.target_type === 'rule' && e.target_id === rule.id);
    expect(approval).toMatchObject({ actor_name: 'Ada Admin', target_name: 'Cash over 10k' });
    expect(items.find((e) => e.action === 'organization.registered')).toMatchObject({ target_name: 'Audit Names' });
  });

  it('exports the filtered trail as CSV, newest first, with the formula guard', async () => {
    const admin = await registerOrganization('=Audit Export');
    const viewer = await addUser(admin, 'viewer');
    const response = await api('GET', `/api/audit/export?target_type=user&target_id=${viewer.user.id}`, {
      token: admin.access_token,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/csv');
    expect(response.headers.get('content-disposition')).toMatch(
      /^attachment; filename="audit-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    expect(response.headers.get('x-export-truncated')).toBe('false');
    const [header, ...rows] = csvRows(await response.text());
    expect(header).toEqual([
      'seq',
      'created_at',
      'action',
      'actor_id',
      'actor_name',
      'target_type',
      'target_id',
      'target_name',
      'ip',
      'user_agent',
      'details',
      'prev_hash',
      'hash',
    ]);
    expect(rows.map((r) => r[2])).toEqual(['auth.login_succeeded', 'user.created']);
    expect(rows.every((r) => r[6] === viewer.user.id && r[7] === 'A viewer')).toBe(true);
    const registered = csvRows(
      await (
        await api('GET', '/api/audit/export?action=organization.registered', { token: admin.access_token })
      ).text(),
    );
    expect(registered).toHaveLength(2);
    // The organization's name begins with "=": a spreadsheet must show it, not run it.
    expect(registered[1]![7]).toBe("'=Audit Export");
  });
});

describe('security', () => {
  it('only those who may read the trail export it, and only their own', async () => {
    const admin = await registerOrganization('Audit Export Own');
    const viewer = await addUser(admin, 'viewer');
    expect((await api('GET', '/api/audit/export', { token: viewer.access_token })).status).toBe(403);
    const other = await registerOrganization('Audit Export Other');
    const rows = csvRows(await (await api('GET', '/api/audit/export', { token: other.access_token })).text());
    expect(rows.slice(1).map((r) => r[3])).toEqual([other.user.id]);
    expect((await api('GET', '/api/audit/export?from=yesterday', { token: admin.access_token })).status).toBe(400);
  });
});
