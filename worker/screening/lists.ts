import { desc, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { screeningLists, screeningListVersions } from '../../db/schema';
import { type Tx, withTenant } from '../../db/tenant';
import { type Actor, recordAudit } from '../platform/audit';
import { ApiError, notFound } from '../platform/errors';
import { olderThan } from '../platform/keyset';
import { decodeCursor, toPage } from '../platform/pagination';
import { blockingKeys, normalizedText, normalizeName, phoneticText } from './names';
import { type EntryType, type ListEntry, parseList } from './parse';
import { entriesCursor } from './schemas';

// Rows per insert statement: bounded parameters and memory per statement.
const INSERT_BATCH = 2_000;

type ListRow = typeof screeningLists.$inferSelect;

export function listView(row: ListRow & { entries: number }) {
  return {
    id: row.id,
    name: row.name,
    version: row.currentVersion,
    entries: row.entries,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export type ListUpload = { file: File; name?: string | undefined; list_id?: string | undefined };

/**
 * A new list, or with `list_id` a new version of one: the file is read whole first (a bad row
 * stores nothing), then the entries and their normalised names are stored in one transaction.
 * Earlier versions' entries are kept; their stored screening results are dropped.
 */
export async function uploadList(db: Database, actor: Actor, upload: ListUpload) {
  const parsed = await parseList(upload.file);
  if (parsed.errors.length > 0) {
    throw new ApiError('unprocessable', `The list has ${parsed.errors.length} problem(s); nothing was stored.`, {
      errors: parsed.errors,
    });
  }
  if (parsed.entries.length === 0)
    throw new ApiError('unprocessable', 'The file holds no person, organization or vessel.', {
      errors: [{ path: 'file', message: 'no entries' }],
    });
  return withTenant(db, actor.orgId, async (tx) => {
    const list = upload.list_id
      ? await nextVersion(tx, upload.list_id, upload.name)
      : await createList(tx, actor, upload);
    await tx.insert(screeningListVersions).values({
      orgId: actor.orgId,
      listId: list.id,
      version: list.currentVersion,
      format: parsed.format,
      fileName: upload.file.name || null,
      entries: parsed.entries.length,
      names: parsed.entries.reduce((sum, entry) => sum + 1 + entry.aliases.length, 0),
      uploadedBy: actor.userId,
    });
    for (let start = 0; start < parsed.entries.length; start += INSERT_BATCH)
      await insertEntries(
        tx,
        actor.orgId,
        list.id,
        list.currentVersion,
        parsed.entries.slice(start, start + INSERT_BATCH),
      );
    await tx.execute(
      sql`delete from screening_results where list_id = ${list.id} and version < ${list.currentVersion}`,
    );
    await recordAudit(tx, actor.origin, {
      orgId: actor.orgId,
      actorId: actor.userId,
      action: upload.list_id ? 'screening_list.version_uploaded' : 'screening_list.created',
      targetType: 'screening_list',
      targetId: list.id,
      details: {
        name: list.name,
        version: list.currentVersion,
        entries: parsed.entries.length,
        format: parsed.format,
        skipped: parsed.skipped,
      },
    });
    return {
      id: list.id,
      name: list.name,
      version: list.currentVersion,
      entries: parsed.entries.length,
      skipped: parsed.skipped,
      format: parsed.format,
    };
  });
}

async function createList(tx: Tx, actor: Actor, upload: ListUpload): Promise<ListRow> {
  if (!upload.name)
    throw new ApiError('validation_failed', 'The request has invalid fields.', {
      errors: [{ path: 'name', message: 'A new list needs a name.' }],
    });
  const [list] = await tx
    .insert(screeningLists)
    .values({ orgId: actor.orgId, name: upload.name, createdBy: actor.userId })
    .returning();
  return list!;
}

/** Locks the list and moves it to its next version (a rename too, when a name is given). */
async function nextVersion(tx: Tx, listId: string, name: string | undefined): Promise<ListRow> {
  const [list] = await tx
    .update(screeningLists)
    .set({
      currentVersion: sql`${screeningLists.currentVersion} + 1`,
      updatedAt: sql`now()`,
      ...(name ? { name } : {}),
    })
    .where(eq(screeningLists.id, listId))
    .returning();
  if (!list) throw notFound('Screening list');
  return list;
}

async function insertEntries(tx: Tx, orgId: string, listId: string, version: number, entries: ListEntry[]) {
  const inserted = await tx.execute<{ id: string; entry_id: string }>(sql`
    insert into screening_entries (org_id, list_id, version, entry_id, name, aliases, type, country, program)
    select ${orgId}::uuid, ${listId}::uuid, ${version}, r.entry_id, r.name,
      array(select jsonb_array_elements_text(r.aliases)), r.type, r.country, r.program
    from jsonb_to_recordset(${JSON.stringify(entries)}::jsonb)
      as r(entry_id text, name text, aliases jsonb, type text, country text, program text)
    returning id, entry_id`);
  const refs = new Map(inserted.map((row) => [row.entry_id, row.id]));
  const names = entries.flatMap((entry) =>
    [entry.name, ...entry.aliases].map((name) => {
      const normalized = normalizeName(name);
      return {
        id: crypto.randomUUID(),
        entry_ref: refs.get(entry.entry_id),
        name,
        normalized: normalizedText(normalized),
        phonetic: phoneticText(normalized),
        keys: blockingKeys(normalized),
      };
    }),
  );
  await tx.execute(sql`
    insert into screening_names (id, org_id, list_id, version, entry_ref, name, normalized, phonetic)
    select r.id, ${orgId}::uuid, ${listId}::uuid, ${version}, r.entry_ref, r.name, r.normalized, r.phonetic
    from jsonb_to_recordset(${JSON.stringify(names.map(({ keys: _, ...name }) => name))}::jsonb)
      as r(id uuid, entry_ref uuid, name text, normalized text, phonetic text)`);
  const keys = names.flatMap((name) => name.keys.map((key) => [name.id, key]));
  await tx.execute(sql`
    insert into screening_name_keys (org_id, list_id, version, name_id, key)
    select ${orgId}::uuid, ${listId}::uuid, ${version}, (r.value ->> 0)::uuid, r.value ->> 1
    from jsonb_array_elements(${JSON.stringify(keys)}::jsonb) as r`);
}

const entryCount = sql<number>`(select count(*)::int from screening_entries e
  where e.list_id = screening_lists.id and e.version = screening_lists.current_version)`;

/** Lists, newest first. */
export async function listLists(tx: Tx, query: { limit: number; cursor?: string | undefined }) {
  const rows = await tx
    .select({ list: screeningLists, entries: entryCount })
    .from(screeningLists)
    .where(olderThan(screeningLists.createdAt, screeningLists.id, query.cursor))
    .orderBy(desc(screeningLists.createdAt), desc(screeningLists.id))
    .limit(query.limit + 1);
  return toPage(
    rows,
    query.limit,
    (row) => listView({ ...row.list, entries: row.entries }),
    (row) => [row.list.createdAt.toISOString(), row.list.id],
  );
}

/** A list with its versions, newest first. */
export async function getList(tx: Tx, id: string) {
  const [row] = await tx
    .select({ list: screeningLists, entries: entryCount })
    .from(screeningLists)
    .where(eq(screeningLists.id, id));
  if (!row) throw notFound('Screening list');
  const versions = await tx
    .select()
    .from(screeningListVersions)
    .where(eq(screeningListVersions.listId, id))
    .orderBy(desc(screeningListVersions.version));
  return {
    ...listView({ ...row.list, entries: row.entries }),
    versions: versions.map((version) => ({
      version: version.version,
      format: version.format,
      file_name: version.fileName,
      entries: version.entries,
      names: version.names,
      uploaded_at: version.uploadedAt.toISOString(),
    })),
  };
}

/** The entries of a list's current version by entry id, optionally those whose name or alias contains `q`. */
export async function listEntries(
  tx: Tx,
  id: string,
  query: { limit: number; cursor?: string | undefined; q?: string | undefined },
) {
  const [list] = await tx.select().from(screeningLists).where(eq(screeningLists.id, id));
  if (!list) throw notFound('Screening list');
  const after = decodeCursor(query.cursor, entriesCursor);
  const needle = query.q?.trim().toLowerCase();
  const rows = await tx.execute<{
    entry_id: string;
    name: string;
    aliases: string[];
    type: EntryType;
    country: string | null;
    program: string | null;
  }>(sql`
    select e.entry_id, e.name, to_jsonb(e.aliases) as aliases, e.type, e.country, e.program
    from screening_entries e
    where e.list_id = ${id} and e.version = ${list.currentVersion}
      ${after ? sql`and e.entry_id collate "C" > ${after[0]}` : sql``}
      ${needle ? sql`and strpos(lower(e.name || ' ' || array_to_string(e.aliases, ' ')), ${needle}) > 0` : sql``}
    order by e.entry_id collate "C"
    limit ${query.limit + 1}`);
  return toPage(
    rows,
    query.limit,
    (row) => row,
    (row) => [row.entry_id],
  );
}
