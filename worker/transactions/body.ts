import { ApiError } from '../platform/errors';
import type { SourceMapping } from '../sources/mapping';
import { amountPath } from '../sources/mapping';
import { parseExactJson, parseExactJsonLine } from './exact-json';
import { csvUploadRecords } from './intake';
import { ndjsonRecords, textChunks, type UploadRecord } from './readers';

const MAX_JSON_ARRAY_ROWS = 10_000;
/** A JSON array is parsed whole, so it gets a tighter byte budget than streamed formats. */
const MAX_JSON_ARRAY_BYTES = 32 * 1024 * 1024;
const FORMATS: Record<string, 'json' | 'ndjson' | 'csv'> = {
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'text/csv': 'csv',
};

/**
 * A JSON body of transactions, amounts kept exact: an array (or, when `single` allows it, one
 * object) of at most `max` items; invalid JSON is a 400, more items a 413 saying `tooMany`.
 */
export function parseJsonTransactions(
  text: string,
  amountPathInRecords: string,
  limits: { single: boolean; max: number; tooMany: string },
): unknown[] {
  let parsed: unknown;
  try {
    parsed = parseExactJson(text, amountPathInRecords);
  } catch (error) {
    throw new ApiError('bad_request', `The body is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed) && !limits.single)
    throw new ApiError('bad_request', 'An application/json upload is an array of transactions.');
  const items = Array.isArray(parsed) ? parsed : [parsed];
  if (items.length > limits.max) throw new ApiError('payload_too_large', limits.tooMany);
  return items;
}

/** The upload's format from its Content-Type: JSON, NDJSON or CSV, in UTF-8; anything else is a 415. */
export function uploadFormat(contentType: string | undefined): 'json' | 'ndjson' | 'csv' {
  const [mediaType = '', ...params] = (contentType ?? '')
    .toLowerCase()
    .split(';')
    .map((part) => part.trim());
  const charset = params
    .find((param) => param.startsWith('charset='))
    ?.slice('charset='.length)
    .replaceAll('"', '');
  const format = FORMATS[mediaType];
  if (!format || (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')) {
    throw new ApiError(
      'unsupported_media_type',
      'Send application/json (an array), application/x-ndjson or text/csv, encoded as UTF-8.',
    );
  }
  return format;
}

/** The upload's rows, read as they stream in (NDJSON, CSV) or parsed whole (a JSON array). */
export async function uploadRecords(
  format: 'json' | 'ndjson' | 'csv',
  body: ReadableStream<Uint8Array>,
  mapping: SourceMapping | undefined,
): Promise<AsyncIterable<UploadRecord>> {
  const path = mapping ? amountPath(mapping) : 'amount';
  if (format === 'ndjson') return ndjsonRecords(textChunks(body), (line) => parseExactJsonLine(line, path));
  if (format === 'csv') return csvUploadRecords(textChunks(body), mapping !== undefined);
  const items = parseJsonTransactions(await readLimited(body, MAX_JSON_ARRAY_BYTES), path, {
    single: false,
    max: MAX_JSON_ARRAY_ROWS,
    tooMany: `A JSON array holds at most ${MAX_JSON_ARRAY_ROWS} transactions; send NDJSON or CSV for more.`,
  });
  return (async function* () {
    for (const [index, value] of items.entries()) yield { row: index + 1, value };
  })();
}

async function readLimited(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<string> {
  const parts: string[] = [];
  let size = 0;
  for await (const chunk of readingErrorsAsProblems(textChunks(body))) {
    size += chunk.length;
    if (size > maxBytes)
      throw new ApiError(
        'payload_too_large',
        `A JSON array body may be at most ${maxBytes / 1024 / 1024} MB; send NDJSON or CSV for more.`,
      );
    parts.push(chunk);
  }
  return parts.join('');
}

/** Errors while reading the body (too large, not UTF-8) end the upload with a problem. */
export async function* readingErrorsAsProblems<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (error) {
    if (error instanceof ApiError) throw error;
    if (error instanceof TypeError && /decode|utf-?8|encoded/i.test(error.message)) {
      throw new ApiError('bad_request', 'The body is not valid UTF-8.');
    }
    throw error;
  }
}
