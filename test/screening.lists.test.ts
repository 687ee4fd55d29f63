import { beforeAll, describe, expect, it } from 'vitest';
import { addUser, api, apiJson, registerOrganization, type Session, setPlan } from './helpers';
import { listForm, SANCTIONS_CSV, search, uploadList } from './screening-fixtures';

let admin: Session;

beforeAll(async () => {
  admin = await registerOrganization('Screening Lists Org');
  await setPlan(admin.organization.id, 'pro');
});

/** Two entities as OpenSanctions exports them (FollowTheMoney JSON lines), and one that is not screened. */
const FTM_LINES = [
  {
    id: 'NK-abc',
    schema: 'Person',
    caption: 'Kim Jong Un',
    properties: {
      name: ['Kim Jong Un'],
      alias: ['Kim Jong-un', 'Kim Chong Un'],
      nationality: ['kp'],
      programId: ['NK-EO13687'],
    },
  },
  {
    id: 'NK-def',
    schema: 'Company',
    caption: 'Korea Mining Development Trading Corporation',
    properties: { name: ['Korea Mining Development Trading Corporation'], alias: ['KOMID'], jurisdiction: ['kp'] },
  },
  { id: 'addr-1', schema: 'Address', caption: 'Pyongyang', properties: { full: ['Pyongyang'] } },
]
  .map((line) => JSON.stringify(line))
  .join('\n');

describe('happy', () => {
  it('uploads a CSV list, lists it with its entry count and shows its entries', async () => {
    const list = await uploadList(admin, SANCTIONS_CSV, { name: 'OFAC SDN (test)' });
    expect(list).toMatchObject({ name: 'OFAC SDN (test)', version: 1, entries: 8, skipped: 0 });
    const page = await apiJson('GET', '/api/screening/lists?limit=200', 200, { token: admin.access_token });
    expect(page.items).toContainEqual(expect.objectContaining({ id: list.id, version: 1, entries: 8 }));
    const entries = await apiJson('GET', `/api/screening/lists/${list.id}/entries?limit=2`, 200, {
      token: admin.access_token,
    });
    expect(entries.items.map((entry: { entry_id: string }) => entry.entry_id)).toEqual(['O-1', 'O-2']);
    expect(entries.items[1]).toEqual({
      entry_id: 'O-2',
      name: 'Rosneft Oil Company, PJSC',
      aliases: ['Rosneft'],
      type: 'organization',
      country: 'RU',
      program: 'UKRAINE-EO13662',
    });
    const next = await apiJson(
      'GET',
      `/api/screening/lists/${list.id}/entries?limit=2&cursor=${entries.next_cursor}`,
      200,
      {
        token: admin.access_token,
      },
    );
    expect(next.items.map((entry: { entry_id: string }) => entry.entry_id)).toEqual(['P-1', 'P-2']);
    const filtered = await apiJson('GET', `/api/screening/lists/${list.id}/entries?q=rosneft`, 200, {
      token: admin.access_token,
    });
    expect(filtered.items.map((entry: { entry_id: string }) => entry.entry_id)).toEqual(['O-2']);
  });

  it('uploads FollowTheMoney JSON lines: persons and companies kept, other schemata skipped', async () => {
    const list = await uploadList(admin, FTM_LINES, { name: 'OpenSanctions DPRK', fileName: 'entities.ftm.json' });
    expect(list).toMatchObject({ version: 1, entries: 2, skipped: 1 });
    const matches = await search(admin, { name: 'KOMID', list_ids: [list.id] });
    expect(matches[0]).toMatchObject({ entry_id: 'NK-def', matched_name: 'KOMID', score: 1 });
    const kim = await search(admin, { name: 'Kim Jong-Un', list_ids: [list.id] });
    expect(kim[0]).toMatchObject({ entry_id: 'NK-abc' });
  });

  it('a new upload with list_id replaces the entries as a new version; the versions are kept', async () => {
    const list = await uploadList(admin, SANCTIONS_CSV, { name: 'Versioned list' });
    const replaced = await uploadList(admin, 'id,name,aliases,type,country,program\nX-1,Ivan Petrov,,person,RU,\n', {
      list_id: list.id,
    });
    expect(replaced).toMatchObject({ id: list.id, name: 'Versioned list', version: 2, entries: 1 });
    const detail = await apiJson('GET', `/api/screening/lists/${list.id}`, 200, { token: admin.access_token });
    expect(detail).toMatchObject({ version: 2, entries: 1 });
    expect(detail.versions.map((v: { version: number; entries: number }) => [v.version, v.entries])).toEqual([
      [2, 1],
      [1, 8],
    ]);
    // Only the current version is screened against.
    expect(await search(admin, { name: 'Vladimir Putin', list_ids: [list.id] })).toEqual([]);
    expect((await search(admin, { name: 'Ivan Petrov', list_ids: [list.id] }))[0]).toMatchObject({ entry_id: 'X-1' });
  });

  it('search finds a misspelled listed name, with the entry, the name that matched, a score and an explanation', async () => {
    const list = await uploadList(admin, SANCTIONS_CSV, { name: 'Search list' });
    const matches = await search(admin, { name: 'Mr. Vladimr Putin', list_ids: [list.id] });
    expect(matches).toHaveLength(1);
    expect(matches[0]).toMatchObject({
      list_id: list.id,
      entry_id: 'P-1',
      name: 'Vladimir Vladimirovich Putin',
      matched_name: 'Vladimir Putin',
    });
    expect(matches[0]!.score).toBeGreaterThanOrEqual(0.85);
    expect(matches[0]!.explanation).toContain('"vladimr" ~ "vladimir" (spelling variant');
    expect(matches[0]!.explanation).toContain('ignored: mr');
  });

  it('search tolerates legal forms, accents, order and transliteration, and not a shared common name', async () => {
    const list = await uploadList(admin, SANCTIONS_CSV, { name: 'Tolerance list' });
    const top = async (name: string) => (await search(admin, { name, list_ids: [list.id] }))[0]?.entry_id ?? null;
    expect(await top('Acme Trading, L.L.C.')).toBe('O-1');
    expect(await top('acme trading gmbh')).toBe('O-1');
    expect(await top('Jose Garcia Marquez')).toBe('P-5');
    expect(await top('Hassan, Mohammed Ali')).toBe('P-2');
    expect(await top('John Smith')).toBe('P-4');
    expect(await top('John Brown')).toBeNull();
    expect(await top('Michael Jordan')).toBeNull();
    expect(await top('Muhammad Yusuf')).toBeNull();
  });

  it('a country other than the listed one lowers the score; a lower threshold shows weaker matches', async () => {
    const list = await uploadList(admin, SANCTIONS_CSV, { name: 'Country list' });
    const [same] = await search(admin, { name: 'Sea Star', country: 'IR', list_ids: [list.id] });
    const [other] = await search(admin, { name: 'Sea Star', country: 'PA', list_ids: [list.id], threshold: 0.5 });
    expect(same!.score).toBe(1);
    expect(other!.score).toBe(0.9);
    expect(other!.explanation).toContain('listed country IR, searched PA');
    expect(await search(admin, { name: 'Smith', list_ids: [list.id] })).toEqual([]);
    const weak = await search(admin, { name: 'Smith', list_ids: [list.id], threshold: 0.4 });
    expect(weak[0]).toMatchObject({ entry_id: 'P-4' });
  });

  it('uploads and searches are in the audit trail', async () => {
    const list = await uploadList(admin, SANCTIONS_CSV, { name: 'Audited list' });
    await search(admin, { name: 'Rosneft', list_ids: [list.id] });
    const audit = await apiJson('GET', '/api/audit?limit=20', 200, { token: admin.access_token });
    const actions = audit.items.map((item: { action: string }) => item.action);
    expect(actions).toContain('screening_list.created');
    expect(actions).toContain('screening.searched');
  });
});

describe('errors', () => {
  it('a list with bad rows is refused whole (422), each row named', async () => {
    const bad =
      'id,name,aliases,type,country,program\nA,Alpha,,person,XX,\n,Beta,,person,,\nC,Gamma,,ship,,\nA,Delta,,person,,\n';
    const response = await api('POST', '/api/screening/lists', {
      token: admin.access_token,
      rawBody: listForm(bad, { name: 'Bad list' }),
    });
    expect(response.status).toBe(422);
    const problem = (await response.json()) as { errors: { path: string; message: string }[] };
    expect(problem.errors.map((error) => error.path)).toEqual(['rows.1.country', 'rows.2.id', 'rows.3.type']);
    const lists = await apiJson('GET', '/api/screening/lists?limit=200', 200, { token: admin.access_token });
    expect(lists.items.map((item: { name: string }) => item.name)).not.toContain('Bad list');
  });

  it('a wrong header, a missing name and an empty search are 4xx problems', async () => {
    const header = await api('POST', '/api/screening/lists', {
      token: admin.access_token,
      rawBody: listForm('name,id\nx,y\n', { name: 'Wrong header' }),
    });
    expect(header.status).toBe(422);
    const unnamed = await api('POST', '/api/screening/lists', {
      token: admin.access_token,
      rawBody: listForm(SANCTIONS_CSV, {}),
    });
    expect(unnamed.status).toBe(400);
    const empty = await api('POST', '/api/screening/search', { token: admin.access_token, body: { name: ' ' } });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { errors: { path: string }[] }).errors[0]!.path).toBe('name');
  });

  it('outside a plan with screening: 402 naming the feature', async () => {
    const basic = await registerOrganization('Screening Basic Org');
    const response = await api('POST', '/api/screening/search', { token: basic.access_token, body: { name: 'x' } });
    expect(response.status).toBe(402);
    expect(await response.json()).toMatchObject({ feature: 'screening', plan: 'basic' });
  });
});

describe('security', () => {
  it("another organization's list is a 404, and its entries are never matched", async () => {
    const list = await uploadList(admin, SANCTIONS_CSV, { name: 'Private list' });
    const other = await registerOrganization('Screening Other Org');
    await setPlan(other.organization.id, 'pro');
    expect((await api('GET', `/api/screening/lists/${list.id}`, { token: other.access_token })).status).toBe(404);
    expect((await api('GET', `/api/screening/lists/${list.id}/entries`, { token: other.access_token })).status).toBe(
      404,
    );
    const upload = await api('POST', '/api/screening/lists', {
      token: other.access_token,
      rawBody: listForm(SANCTIONS_CSV, { list_id: list.id }),
    });
    expect(upload.status).toBe(404);
    expect(await search(other, { name: 'Vladimir Putin' })).toEqual([]);
  });

  it('a viewer can search but not upload', async () => {
    const viewer = await addUser(admin, 'viewer');
    const upload = await api('POST', '/api/screening/lists', {
      token: viewer.access_token,
      rawBody: listForm(SANCTIONS_CSV, { name: 'Viewer list' }),
    });
    expect(upload.status).toBe(403);
    expect(await search(viewer, { name: 'Rosneft' })).not.toHaveLength(0);
  });
});
