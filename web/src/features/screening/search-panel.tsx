import { useMutation } from '@tanstack/react-query';
import { Search } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { Field, fieldErrors } from '../../components/field';
import { EmptyState, ErrorState, LoadingState } from '../../components/states';
import { Button } from '../../components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '../../components/ui/card';
import { Input } from '../../components/ui/input';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../../components/ui/table';
import { ApiProblem, api } from '../../lib/api';
import type { ScreeningMatch } from './types';

type SearchInput = { name: string; country?: string; threshold?: number };

export function SearchPanel() {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [searched, setSearched] = useState<SearchInput | null>(null);
  const search = useMutation({
    mutationFn: (input: SearchInput) =>
      api<{ matches: ScreeningMatch[] }>('/api/screening/search', { method: 'POST', body: input }),
    onError: (caught) =>
      setErrors(caught instanceof ApiProblem && caught.errors.length ? fieldErrors(caught.errors) : {}),
  });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const country = String(form.get('country') ?? '')
      .trim()
      .toUpperCase();
    const threshold = String(form.get('threshold') ?? '').trim();
    const input: SearchInput = {
      name: String(form.get('name') ?? ''),
      ...(country ? { country } : {}),
      ...(threshold ? { threshold: Number(threshold) } : {}),
    };
    setErrors({});
    setSearched(input);
    search.mutate(input);
  }

  return (
    <Card>
      <CardHeader>
        <CardTitle>Search the lists</CardTitle>
        <CardDescription>
          Case, accents, punctuation, word order, titles and legal forms, a missing middle name, small typos and common
          transliterations are tolerated; sharing only a first or last name is not a match.
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4">
        <form
          onSubmit={submit}
          className="grid gap-3 md:grid-cols-[2fr_1fr_1fr_auto] md:items-end"
          aria-label="Screen a name"
        >
          <Field label="Name" error={errors.name}>
            <Input name="name" required maxLength={500} placeholder="e.g. Vladimr Putin or Acme Trading LLC" />
          </Field>
          <Field label="Country (optional)" error={errors.country}>
            <Input name="country" maxLength={2} placeholder="e.g. RU" />
          </Field>
          <Field label="Threshold" error={errors.threshold}>
            <Input name="threshold" type="number" min="0.01" max="1" step="0.01" placeholder="0.85" />
          </Field>
          <Button type="submit" disabled={search.isPending}>
            <Search /> Screen
          </Button>
        </form>
        {search.isPending ? (
          <LoadingState rows={3} label="Screening" />
        ) : search.isError ? (
          <ErrorState error={search.error} title="The search failed" />
        ) : search.data && searched ? (
          search.data.matches.length === 0 ? (
            <EmptyState
              title={`No match for "${searched.name}"`}
              description={`No listed name scores ${searched.threshold ?? 0.85} or more.`}
            />
          ) : (
            <Table aria-label="Matches">
              <TableHeader>
                <TableRow>
                  <TableHead className="text-right">Score</TableHead>
                  <TableHead>Listed name</TableHead>
                  <TableHead>Matched name</TableHead>
                  <TableHead>Entry</TableHead>
                  <TableHead>Why</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {search.data.matches.map((match) => (
                  <TableRow key={`${match.list_id}/${match.entry_id}`}>
                    <TableCell className="text-right font-mono tabular-nums">{match.score.toFixed(2)}</TableCell>
                    <TableCell>
                      {match.name}
                      <div className="text-xs text-muted-foreground">
                        {[match.type, match.country, match.program].filter(Boolean).join(' · ')}
                      </div>
                    </TableCell>
                    <TableCell>{match.matched_name}</TableCell>
                    <TableCell className="text-xs">
                      <span className="font-mono">{match.entry_id}</span>
                      <div className="text-muted-foreground">{match.list_name}</div>
                    </TableCell>
                    <TableCell className="max-w-md text-xs">{match.explanation}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )
        ) : null}
      </CardContent>
    </Card>
  );
}
