import { useQuery, useQueryClient } from '@tanstack/react-query';
import { FileUp } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { Field } from '../../components/field';
import { Pager, useCursorPages } from '../../components/pager';
import { EmptyState, LoadingState, QueryState } from '../../components/states';
import { Alert, AlertDescription } from '../../components/ui/alert';
import { Badge } from '../../components/ui/badge';
import { Button } from '../../components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '../../components/ui/card';
import { Input } from '../../components/ui/input';
import { Select } from '../../components/ui/select';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../../components/ui/table';
import { toast } from '../../components/ui/toaster';
import { UploadProgress } from '../../components/upload-progress';
import {
  ApiProblem,
  api,
  type UploadProgress as Progressed,
  problemMessage,
  query,
  uploadWithProgress,
} from '../../lib/api';
import { useCan } from '../../lib/auth';
import { formatCount, formatDateTime } from '../../lib/format';
import type { Page } from '../../lib/types';
import type { ScreeningEntry, ScreeningList, ScreeningListDetail, ScreeningUploadResult } from './types';

// Another analyst's upload shows up without a reload.
const LISTS_REFRESH_MS = 30_000;

function UploadListForm({ lists, onUploaded }: { lists: ScreeningList[]; onUploaded: (id: string) => void }) {
  const queryClient = useQueryClient();
  const [progress, setProgress] = useState<Progressed | null>(null);
  const [problems, setProblems] = useState<string[]>([]);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const file = form.get('file');
    if (!(file instanceof File) || file.size === 0) {
      setProblems(['Choose a CSV or FollowTheMoney JSON lines file.']);
      return;
    }
    const listId = String(form.get('list_id') ?? '');
    if (!listId) form.delete('list_id');
    if (!String(form.get('name') ?? '').trim()) {
      if (listId) form.delete('name');
      else form.set('name', file.name.replace(/\.[^.]+$/, ''));
    }
    setProblems([]);
    setProgress({ loaded: 0, total: file.size });
    try {
      const result = await uploadWithProgress<ScreeningUploadResult>('/api/screening/lists', form, setProgress);
      toast.success(`${result.name} v${result.version} uploaded`, {
        description: `${formatCount(result.entries)} entries${result.skipped ? `, ${formatCount(result.skipped)} other records skipped` : ''}.`,
      });
      formElement.reset();
      await queryClient.invalidateQueries({ queryKey: ['screening-lists'] });
      void queryClient.invalidateQueries({ queryKey: ['screening-list', result.id] });
      onUploaded(result.id);
    } catch (caught) {
      const rows = caught instanceof ApiProblem ? caught.errors.map((error) => `${error.path}: ${error.message}`) : [];
      setProblems([problemMessage(caught), ...rows.slice(0, 10)]);
    } finally {
      setProgress(null);
    }
  }

  return (
    <form onSubmit={submit} className="grid gap-3" aria-label="Upload a list">
      <div className="grid gap-3 md:grid-cols-3">
        <Field label="List file" hint="CSV: id,name,aliases,type,country,program. Or FollowTheMoney JSON lines.">
          <Input type="file" name="file" accept=".csv,.json,.jsonl,.ndjson,.ftm" />
        </Field>
        <Field label="Name" hint="Defaults to the file name.">
          <Input name="name" maxLength={200} />
        </Field>
        <Field label="New version of">
          <Select name="list_id" defaultValue="">
            <option value="">A new list</option>
            {lists.map((list) => (
              <option key={list.id} value={list.id}>
                {list.name} (v{list.version})
              </option>
            ))}
          </Select>
        </Field>
      </div>
      <div>
        <Button type="submit" disabled={progress !== null}>
          <FileUp /> Upload list
        </Button>
      </div>
      {progress && <UploadProgress progress={progress} label="Uploading the list" />}
      {problems.length > 0 && (
        <Alert variant="destructive">
          <AlertDescription>
            <ul className="grid gap-1" aria-label="Upload problems">
              {problems.map((problem) => (
                <li key={problem}>{problem}</li>
              ))}
            </ul>
          </AlertDescription>
        </Alert>
      )}
    </form>
  );
}

function ListEntries({ listId }: { listId: string }) {
  const pages = useCursorPages();
  const [filter, setFilter] = useState('');
  const detail = useQuery({
    queryKey: ['screening-list', listId],
    queryFn: () => api<ScreeningListDetail>(`/api/screening/lists/${listId}`),
  });
  const entries = useQuery({
    queryKey: ['screening-list', listId, 'entries', filter, pages.cursor],
    queryFn: () =>
      api<Page<ScreeningEntry>>(
        `/api/screening/lists/${listId}/entries${query({ q: filter, cursor: pages.cursor, limit: 50 })}`,
      ),
  });
  return (
    <QueryState query={detail} loading={<LoadingState rows={3} label="Loading the list" />}>
      {(list) => (
        <Card>
          <CardHeader>
            <CardTitle>{list.name}</CardTitle>
            <CardDescription>
              Version {list.version}, {formatCount(list.entries)} entries. Rules and searches read the current version.
            </CardDescription>
          </CardHeader>
          <CardContent className="grid gap-4">
            <div>
              <h3 className="mb-2 text-sm font-semibold">Versions</h3>
              <ul className="grid gap-1 text-sm" aria-label="Versions">
                {list.versions.map((version) => (
                  <li key={version.version}>
                    v{version.version}: {formatCount(version.entries)} entries ({version.format.toUpperCase()}
                    {version.file_name ? `, ${version.file_name}` : ''}), {formatDateTime(version.uploaded_at)}
                  </li>
                ))}
              </ul>
            </div>
            <Field label="Filter entries">
              <Input
                value={filter}
                placeholder="Part of a name or alias"
                onChange={(event) => {
                  setFilter(event.target.value);
                  pages.reset();
                }}
              />
            </Field>
            <QueryState
              query={entries}
              loading={<LoadingState label="Loading entries" />}
              empty={
                <EmptyState
                  title="No entries"
                  description={filter ? 'No name or alias contains this text.' : undefined}
                />
              }
            >
              {(data) => (
                <>
                  <Table aria-label="Entries">
                    <TableHeader>
                      <TableRow>
                        <TableHead>Id</TableHead>
                        <TableHead>Name</TableHead>
                        <TableHead>Aliases</TableHead>
                        <TableHead>Type</TableHead>
                        <TableHead>Country</TableHead>
                        <TableHead>Program</TableHead>
                      </TableRow>
                    </TableHeader>
                    <TableBody>
                      {data.items.map((entry) => (
                        <TableRow key={entry.entry_id}>
                          <TableCell className="font-mono text-xs">{entry.entry_id}</TableCell>
                          <TableCell>{entry.name}</TableCell>
                          <TableCell className="max-w-xs text-xs text-muted-foreground">
                            {entry.aliases.join('; ')}
                          </TableCell>
                          <TableCell>
                            <Badge variant="outline">{entry.type}</Badge>
                          </TableCell>
                          <TableCell>{entry.country ?? ''}</TableCell>
                          <TableCell className="text-xs">{entry.program ?? ''}</TableCell>
                        </TableRow>
                      ))}
                    </TableBody>
                  </Table>
                  <Pager pages={pages} nextCursor={data.next_cursor} />
                </>
              )}
            </QueryState>
          </CardContent>
        </Card>
      )}
    </QueryState>
  );
}

export function ListsPanel() {
  const can = useCan();
  const pages = useCursorPages();
  const [selected, setSelected] = useState<string | null>(null);
  const lists = useQuery({
    queryKey: ['screening-lists', pages.cursor],
    queryFn: () => api<Page<ScreeningList>>(`/api/screening/lists${query({ cursor: pages.cursor, limit: 50 })}`),
    refetchInterval: LISTS_REFRESH_MS,
  });
  return (
    <div className="grid gap-4">
      {can('screening:write') && (
        <Card>
          <CardHeader>
            <CardTitle>Upload a watch list</CardTitle>
            <CardDescription>
              A sanctions or watch list, loaded whole or not at all. Uploading to an existing list makes a new version.
            </CardDescription>
          </CardHeader>
          <CardContent>
            <UploadListForm lists={lists.data?.items ?? []} onUploaded={setSelected} />
          </CardContent>
        </Card>
      )}
      <Card>
        <CardHeader>
          <CardTitle>Lists</CardTitle>
        </CardHeader>
        <CardContent>
          <QueryState
            query={lists}
            loading={<LoadingState label="Loading lists" />}
            empty={
              <EmptyState
                title="No watch lists yet"
                description="Upload a sanctions list (CSV or an OpenSanctions FollowTheMoney export) to screen names and counterparties."
              />
            }
          >
            {(data) => (
              <>
                <Table aria-label="Watch lists">
                  <TableHeader>
                    <TableRow>
                      <TableHead>Name</TableHead>
                      <TableHead>Version</TableHead>
                      <TableHead className="text-right">Entries</TableHead>
                      <TableHead>Updated</TableHead>
                      <TableHead>List id (for rules)</TableHead>
                    </TableRow>
                  </TableHeader>
                  <TableBody>
                    {data.items.map((list) => (
                      <TableRow key={list.id} data-state={selected === list.id ? 'selected' : undefined}>
                        <TableCell>
                          <Button variant="link" className="h-auto p-0" onClick={() => setSelected(list.id)}>
                            {list.name}
                          </Button>
                        </TableCell>
                        <TableCell>v{list.version}</TableCell>
                        <TableCell className="text-right tabular-nums">{formatCount(list.entries)}</TableCell>
                        <TableCell>{formatDateTime(list.updated_at)}</TableCell>
                        <TableCell className="font-mono text-xs">{list.id}</TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
                <Pager pages={pages} nextCursor={data.next_cursor} />
              </>
            )}
          </QueryState>
        </CardContent>
      </Card>
      {selected && <ListEntries key={selected} listId={selected} />}
    </div>
  );
}
