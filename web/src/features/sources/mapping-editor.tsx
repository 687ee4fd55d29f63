import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Eye, Plus, Save, Trash2 } from 'lucide-react';
import { useState } from 'react';
import { CANONICAL_FIELDS } from '../../../../worker/rules/language/fields';
import { isTimestampFormat, TIMESTAMP_FORMAT_MESSAGE } from '../../../../worker/sources/zoned-time';
import { Field, fieldErrors } from '../../components/field';
import { Alert, AlertDescription } from '../../components/ui/alert';
import { Button } from '../../components/ui/button';
import { Input } from '../../components/ui/input';
import { Label } from '../../components/ui/label';
import { Select } from '../../components/ui/select';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../../components/ui/table';
import { Textarea } from '../../components/ui/textarea';
import { toast } from '../../components/ui/toaster';
import { ApiProblem, api, problemMessage } from '../../lib/api';
import type { MappingPreview, Source, SourceMapping } from '../../lib/types';

const PREVIEW_COLUMNS = ['id', 'occurred_at', 'amount', 'currency', 'account', 'counterparty', 'type'] as const;

type FieldRow = { target: string; path: string };

/** What the form edits: the field renames as rows, the rest of the mapping as it is. */
function rowsOf(mapping: SourceMapping): FieldRow[] {
  return Object.entries(mapping.fields ?? {}).map(([target, path]) => ({ target, path }));
}

function buildMapping(
  rows: FieldRow[],
  extras: string,
  timestamp: { format: string; time_zone: string },
  deriveId: boolean,
  unmapped: string,
): SourceMapping {
  const mapping: SourceMapping = JSON.parse(extras || '{}') as SourceMapping;
  const fields = Object.fromEntries(rows.filter((row) => row.target && row.path).map((row) => [row.target, row.path]));
  if (Object.keys(fields).length) mapping.fields = fields;
  if (timestamp.format || timestamp.time_zone) {
    mapping.timestamp = {};
    if (timestamp.format) mapping.timestamp.format = timestamp.format;
    if (timestamp.time_zone) mapping.timestamp.time_zone = timestamp.time_zone;
  }
  if (deriveId) mapping.derive_id = true;
  if (unmapped !== 'all') mapping.unmapped_to_attributes = unmapped as 'none';
  return mapping;
}

/** The parts without a form control of their own (value maps, constants), edited as JSON. */
function extrasOf(mapping: SourceMapping): string {
  const extras: Partial<SourceMapping> = {};
  if (mapping.values) extras.values = mapping.values;
  if (mapping.constants) extras.constants = mapping.constants;
  return Object.keys(extras).length ? JSON.stringify(extras, null, 2) : '';
}

/** A CSV text as it is, JSON (one object or an array) parsed. */
type Sample = string | Record<string, unknown> | Record<string, unknown>[];

function sampleOf(text: string): Sample {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return JSON.parse(trimmed) as Sample;
  return text;
}

export function MappingEditor({ source }: { source: Source }) {
  const queryClient = useQueryClient();
  const [rows, setRows] = useState<FieldRow[]>(() => rowsOf(source.mapping));
  const [extras, setExtras] = useState(() => extrasOf(source.mapping));
  const [timestamp, setTimestamp] = useState({
    format: source.mapping.timestamp?.format ?? '',
    time_zone: source.mapping.timestamp?.time_zone ?? '',
  });
  const [deriveId, setDeriveId] = useState(source.mapping.derive_id ?? false);
  const [unmapped, setUnmapped] = useState<string>(
    Array.isArray(source.mapping.unmapped_to_attributes) ? 'all' : (source.mapping.unmapped_to_attributes ?? 'all'),
  );
  const [sample, setSample] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});

  function currentMapping(): SourceMapping | null {
    // Checked here with the worker's own rule and message: a format that can read no date is not sent.
    if (timestamp.format && !isTimestampFormat(timestamp.format)) {
      setErrors({ 'mapping.timestamp.format': TIMESTAMP_FORMAT_MESSAGE });
      return null;
    }
    setErrors({});
    try {
      setProblem(null);
      return buildMapping(rows, extras, timestamp, deriveId, unmapped);
    } catch {
      setProblem('Value maps and constants must be valid JSON.');
      return null;
    }
  }

  const onProblem = (caught: unknown) => {
    if (caught instanceof ApiProblem && caught.errors.length) setErrors(fieldErrors(caught.errors));
    setProblem(problemMessage(caught));
  };

  const preview = useMutation({
    mutationFn: (body: { sample: Sample; mapping: SourceMapping }) =>
      api<MappingPreview>(`/api/sources/${source.id}/preview`, { method: 'POST', body }),
    onMutate: () => setErrors({}),
    onError: onProblem,
  });
  const save = useMutation({
    mutationFn: (mapping: SourceMapping) =>
      api<Source>(`/api/sources/${source.id}`, { method: 'PATCH', body: { mapping } }),
    onMutate: () => setErrors({}),
    onSuccess: () => {
      toast.success('Mapping saved', { description: `${source.name} reads new records with it.` });
      void queryClient.invalidateQueries({ queryKey: ['sources'] });
    },
    onError: onProblem,
  });

  function runPreview() {
    const mapping = currentMapping();
    if (!mapping) return;
    try {
      preview.mutate({ sample: sampleOf(sample), mapping });
    } catch {
      setProblem('The sample is neither CSV nor valid JSON.');
    }
  }

  const setRow = (index: number, patch: Partial<FieldRow>) =>
    setRows(rows.map((row, at) => (at === index ? { ...row, ...patch } : row)));

  return (
    <div className="grid gap-5">
      <section aria-labelledby={`fields-${source.id}`} className="grid gap-2">
        <h3 id={`fields-${source.id}`} className="text-sm font-semibold">
          Field mapping
        </h3>
        <p className="text-sm text-muted-foreground">
          Where each canonical field is found in incoming records (dot paths reach into nested JSON). Unmapped fields
          are read from the key of the same name.
        </p>
        <ul className="grid gap-2">
          {rows.map((row, index) => (
            <li key={index} className="flex flex-wrap items-center gap-2">
              <Select
                aria-label="Canonical field"
                value={row.target.startsWith('attributes.') ? 'attributes.' : row.target}
                onChange={(event) => setRow(index, { target: event.target.value })}
                className="w-52"
              >
                <option value="">choose…</option>
                {CANONICAL_FIELDS.map((target) => (
                  <option key={target} value={target}>
                    {target}
                  </option>
                ))}
                <option value="attributes.">attributes.…</option>
              </Select>
              {row.target.startsWith('attributes.') && (
                <Input
                  aria-label="Attribute key"
                  className="w-40"
                  value={row.target.slice('attributes.'.length)}
                  onChange={(event) => setRow(index, { target: `attributes.${event.target.value}` })}
                />
              )}
              <span aria-hidden className="text-muted-foreground">
                ←
              </span>
              <Input
                aria-label="Incoming key or path"
                className="w-56"
                placeholder="e.g. Amount Paid"
                value={row.path}
                onChange={(event) => setRow(index, { path: event.target.value })}
              />
              <Button
                variant="ghost"
                size="icon"
                aria-label="Remove this field mapping"
                onClick={() => setRows(rows.filter((_, at) => at !== index))}
              >
                <Trash2 />
              </Button>
            </li>
          ))}
        </ul>
        <div>
          <Button variant="outline" size="sm" onClick={() => setRows([...rows, { target: '', path: '' }])}>
            <Plus /> Map a field
          </Button>
        </div>
        {errors['mapping.fields'] && <p className="text-xs text-red-600">{errors['mapping.fields']}</p>}
      </section>

      <section className="grid gap-3 md:grid-cols-2">
        <Field
          label="Timestamp format (optional)"
          hint="For inputs that are not RFC 3339, e.g. YYYY/MM/DD HH:mm (tokens YYYY MM DD HH mm ss SSS, upper-case as shown), or unix, unix_ms"
          error={errors['mapping.timestamp.format']}
        >
          <Input
            placeholder="YYYY-MM-DD HH:mm:ss"
            value={timestamp.format}
            onChange={(event) => setTimestamp({ ...timestamp, format: event.target.value })}
          />
        </Field>
        <Field
          label="Time zone for timestamps without offset"
          hint="An IANA zone such as UTC or Europe/Berlin"
          error={errors['mapping.timestamp.time_zone']}
        >
          <Input
            value={timestamp.time_zone}
            onChange={(event) => setTimestamp({ ...timestamp, time_zone: event.target.value })}
          />
        </Field>
        <Field label="Unmapped incoming keys">
          <Select value={unmapped} onChange={(event) => setUnmapped(event.target.value)}>
            <option value="all">Keep all in attributes</option>
            <option value="none">Drop them</option>
          </Select>
        </Field>
        <div className="flex items-center gap-2 pt-6">
          <input
            id={`derive-${source.id}`}
            type="checkbox"
            className="size-4 accent-indigo-600"
            checked={deriveId}
            onChange={(event) => setDeriveId(event.target.checked)}
          />
          <Label htmlFor={`derive-${source.id}`}>
            Derive the id from the record's content (exports without an id column)
          </Label>
        </div>
        <Field
          label="Value maps and constants (JSON, optional)"
          className="grid gap-1.5 md:col-span-2"
          hint={'e.g. {"values": {"currency": {"US Dollar": "USD"}}, "constants": {"channel": "erp"}}'}
          error={errors['mapping.values'] ?? errors['mapping.constants']}
        >
          <Textarea
            rows={4}
            className="font-mono text-xs"
            spellCheck={false}
            value={extras}
            onChange={(event) => setExtras(event.target.value)}
          />
        </Field>
      </section>

      <section className="grid gap-2">
        <Field
          label="Sample to preview"
          hint="Paste CSV with its header row, a JSON object, or a JSON array (up to 100 records). Nothing is stored."
        >
          <Textarea
            rows={5}
            className="font-mono text-xs"
            spellCheck={false}
            value={sample}
            onChange={(event) => setSample(event.target.value)}
          />
        </Field>
        <div className="flex flex-wrap gap-2">
          <Button variant="outline" onClick={runPreview} disabled={!sample.trim() || preview.isPending}>
            <Eye /> {preview.isPending ? 'Previewing…' : 'Preview'}
          </Button>
          <Button
            onClick={() => {
              const mapping = currentMapping();
              if (mapping) save.mutate(mapping);
            }}
            disabled={save.isPending}
          >
            <Save /> Save mapping
          </Button>
        </div>
        {problem && (
          <Alert variant="destructive">
            <AlertDescription>{problem}</AlertDescription>
          </Alert>
        )}
        {preview.data && (
          <Table>
            <caption className="sr-only">Preview of the mapped sample</caption>
            <TableHeader>
              <TableRow>
                <TableHead>Row</TableHead>
                {PREVIEW_COLUMNS.map((column) => (
                  <TableHead key={column}>{column}</TableHead>
                ))}
                <TableHead>Problems</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {preview.data.rows.map((row) => (
                <TableRow key={row.row}>
                  <TableCell className="tabular-nums">{row.row}</TableCell>
                  {PREVIEW_COLUMNS.map((column) => (
                    <TableCell key={column} className="font-mono text-xs">
                      {row.transaction?.[column] === undefined || row.transaction?.[column] === null
                        ? '—'
                        : String(row.transaction[column])}
                    </TableCell>
                  ))}
                  <TableCell className="text-xs text-red-700">
                    {row.errors.map((error) => `${error.path}: ${error.message}`).join('; ') || (
                      <span className="text-emerald-700">OK</span>
                    )}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </section>
    </div>
  );
}
