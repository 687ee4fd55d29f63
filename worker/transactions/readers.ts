/** A record read from an upload, before mapping and validation. `row` counts records from 1. */
export type UploadRecord =
  | { row: number; line?: number; value: unknown; problem?: undefined }
  | { row: number; line?: number; value?: undefined; problem: string };

/** The body as text chunks, decoded as UTF-8 on the fly (never the whole body in memory). */
export async function* textChunks(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield decoder.decode(value, { stream: true });
    }
    finished = true;
    const tail = decoder.decode();
    if (tail) yield tail;
  } finally {
    // Stopped early (an error, a 503): stop receiving the rest of the upload.
    if (!finished) await reader.cancel().catch(() => undefined);
  }
}

/** Lines of a text stream with their 1-based numbers; `\r\n` and `\n` both end a line. */
export async function* lines(chunks: AsyncIterable<string>): AsyncGenerator<{ text: string; line: number }> {
  let carry = '';
  let line = 0;
  for await (const chunk of chunks) {
    const parts = (carry + chunk).split('\n');
    carry = parts.pop()!;
    for (const part of parts) yield { text: part.endsWith('\r') ? part.slice(0, -1) : part, line: ++line };
  }
  if (carry.trim() !== '') yield { text: carry, line: ++line };
}

/** NDJSON: one JSON value per line; blank lines are not records; a malformed line is reported with its number. */
export async function* ndjsonRecords(
  chunks: AsyncIterable<string>,
  parse: (line: string) => unknown,
): AsyncGenerator<UploadRecord> {
  let row = 0;
  for await (const { text, line } of lines(chunks)) {
    if (text.trim() === '') continue;
    row++;
    try {
      yield { row, line, value: parse(text) };
    } catch (error) {
      yield { row, line, problem: `line ${line} is not valid JSON (${(error as Error).message})` };
    }
  }
}

type CsvRecord = { fields: string[]; line: number; problem?: string };

/**
 * RFC 4180 CSV, read incrementally: quoted fields may hold commas, doubled quotes and line breaks;
 * records end with `\n` or `\r\n`. A stray quote inside an unquoted field, or text after a closing
 * quote, makes that record malformed; an unterminated quote at the end of the input too.
 */
class CsvReader {
  private fields: string[] = [];
  private field = '';
  private state: 'start' | 'unquoted' | 'quoted' | 'quote-in-quoted' = 'start';
  private problem: string | undefined;
  private line = 1;
  private recordLine = 1;

  push(chunk: string): CsvRecord[] {
    const records: CsvRecord[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i]!;
      if (this.state === 'quoted') {
        if (ch === '"') this.state = 'quote-in-quoted';
        else {
          if (ch === '\n') this.line++;
          this.field += ch;
        }
        continue;
      }
      if (this.state === 'quote-in-quoted') {
        if (ch === '"') {
          this.field += '"';
          this.state = 'quoted';
          continue;
        }
        this.state = 'unquoted';
        if (ch !== ',' && ch !== '\n' && ch !== '\r') this.problem ??= 'text after a closing quote';
      }
      if (ch === ',') this.endField();
      else if (ch === '\n') {
        const record = this.endRecord();
        if (record) records.push(record);
        this.line++;
        this.recordLine = this.line;
      } else if (ch === '\r') {
      } else if (ch === '"' && this.state === 'start') this.state = 'quoted';
      else {
        if (ch === '"') this.problem ??= 'a quote inside an unquoted field (quote the field and double the quote)';
        this.field += ch;
        this.state = 'unquoted';
      }
    }
    return records;
  }

  end(): CsvRecord[] {
    if (this.state === 'quoted') this.problem ??= 'a quoted field is not closed before the end of the file';
    const record = this.endRecord();
    return record ? [record] : [];
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.state = 'start';
  }

  private endRecord(): CsvRecord | undefined {
    this.endField();
    const record: CsvRecord = {
      fields: this.fields,
      line: this.recordLine,
      ...(this.problem ? { problem: this.problem } : {}),
    };
    this.fields = [];
    this.problem = undefined;
    // A blank line is not a record.
    return record.fields.length === 1 && record.fields[0] === '' && !record.problem ? undefined : record;
  }
}

export async function* csvRecords(chunks: AsyncIterable<string>): AsyncGenerator<CsvRecord> {
  const reader = new CsvReader();
  for await (const chunk of chunks) yield* reader.push(chunk);
  yield* reader.end();
}
