import { ApiError, type FieldError } from '../platform/errors';
import { applyMapping, CANONICAL_FIELDS, type SourceMapping } from '../sources/mapping';
import { type Validated, validateTransaction } from './canonical';
import { isObject } from './exact-json';
import { csvRecords, type UploadRecord } from './readers';

/**
 * How an incoming record becomes a validated transaction: through the source's mapping when the
 * data comes from a source, else taken as the canonical shape (unknown keys refused).
 */
export function recordValidator(mapping: SourceMapping | undefined): (value: unknown) => Validated {
  if (!mapping) return validateTransaction;
  return (value) => {
    if (!isObject(value)) return { ok: false, errors: [{ path: '', message: 'must be a JSON object' }] };
    const { candidate, issues } = applyMapping(value, mapping);
    const validated = validateTransaction(candidate);
    if (issues.length === 0) return validated;
    // A mapping issue (e.g. an unreadable timestamp) says more than the generic error on that field.
    const paths = new Set(issues.map((issue) => issue.path));
    const rest = validated.ok ? [] : validated.errors.filter((error) => !paths.has(error.path));
    const id = typeof candidate.id === 'string' ? candidate.id : undefined;
    return { ok: false, errors: [...issues, ...rest], ...(id === undefined ? {} : { id }) };
  };
}

const isCanonicalColumn = (name: string) =>
  (CANONICAL_FIELDS as readonly string[]).includes(name) || /^attributes\.[^.]+$/.test(name);

/**
 * CSV records as objects keyed by the header (empty cells are "not given"). Without a mapping the
 * header must name canonical fields or `attributes.<key>` columns, which fill `attributes`.
 */
export async function* csvUploadRecords(chunks: AsyncIterable<string>, mapped: boolean): AsyncGenerator<UploadRecord> {
  let header: string[] | undefined;
  let row = 0;
  for await (const record of csvRecords(chunks)) {
    if (!header) {
      header = checkHeader(record.fields, mapped);
      continue;
    }
    row++;
    if (record.problem) yield { row, line: record.line, problem: `line ${record.line}: ${record.problem}` };
    else if (record.fields.length !== header.length) {
      yield {
        row,
        line: record.line,
        problem: `line ${record.line} has ${record.fields.length} fields; the header has ${header.length}`,
      };
    } else yield { row, line: record.line, value: csvObject(header, record.fields, mapped) };
  }
}

function checkHeader(fields: string[], mapped: boolean): string[] {
  const header = fields.map((name) => name.trim());
  const errors: FieldError[] = [];
  header.forEach((name, index) => {
    if (header.indexOf(name) !== index)
      errors.push({ path: `header.${index}`, message: `column "${name}" appears twice` });
    else if (!mapped && !isCanonicalColumn(name)) {
      errors.push({
        path: `header.${index}`,
        message: `unknown column "${name}": use a canonical field name, attributes.<key>, or upload through a source whose mapping reads it (?source_id=)`,
      });
    }
  });
  if (errors.length > 0) throw new ApiError('validation_failed', 'The CSV header has invalid columns.', { errors });
  return header;
}

function csvObject(header: string[], fields: string[], mapped: boolean): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  const attributes: Record<string, unknown> = {};
  header.forEach((name, index) => {
    const value = fields[index]!;
    if (value === '') return;
    if (!mapped && name.startsWith('attributes.')) attributes[name.slice('attributes.'.length)] = value;
    else record[name] = value;
  });
  if (Object.keys(attributes).length > 0) record.attributes = attributes;
  return record;
}
