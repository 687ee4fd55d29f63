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

/** The longest line (NDJSON) or CSV record read; a longer one is an error for that row, and is not kept. */
export const MAX_LINE_CHARACTERS = 1024 * 1024;

type Line = { text: string; line: number; tooLong?: undefined } | { text?: undefined; line: number; tooLong: true };

/**
 * Lines of a text stream with their 1-based numbers; `\r\n` and `\n` both end a line. Linear in
 * the input: each chunk is scanned once and an unfinished line is kept as pieces, not re-joined and
 * re-split per chunk; a line past MAX_LINE_CHARACTERS is dropped as it arrives and reported.
 */
export async function* lines(chunks: AsyncIterable<string>): AsyncGenerator<Line> {
  let pieces: string[] = [];
  let length = 0;
  let tooLong = false;
  let line = 0;
  const finish = (last: string): Line => {
    line++;
    if (tooLong || length + last.length > MAX_LINE_CHARACTERS) return { line, tooLong: true };
    const text = pieces.length === 0 ? last : pieces.join('') + last;
    return { text: text.endsWith('\r') ? text.slice(0, -1) : text, line };
  };
  const reset = () => {
    pieces = [];
    length = 0;
    tooLong = false;
  };
  for await (const chunk of chunks) {
    let start = 0;
    for (let end = chunk.indexOf('\n'); end !== -1; end = chunk.indexOf('\n', start)) {
      yield finish(chunk.slice(start, end));
      reset();
      start = end + 1;
    }
    const rest = chunk.slice(start);
    if (tooLong || rest.length === 0) continue;
    length += rest.length;
    if (length > MAX_LINE_CHARACTERS) {
      tooLong = true;
      pieces = [];
    } else pieces.push(rest);
  }
  if (tooLong) yield { line: line + 1, tooLong: true };
  else if (length > 0) {
    const last = finish('');
    if (last.text === undefined || last.text.trim() !== '') yield last;
  }
}

/** NDJSON: one JSON value per line; blank lines are not records; a malformed line is reported with its number. */
export async function* ndjsonRecords(
  chunks: AsyncIterable<string>,
  parse: (line: string) => unknown,
): AsyncGenerator<UploadRecord> {
  let row = 0;
  for await (const { text, line } of lines(chunks)) {
    if (text === undefined) {
      yield {
        row: ++row,
        line,
        problem: `line ${line} is longer than ${MAX_LINE_CHARACTERS.toLocaleString('en')} characters`,
      };
      continue;
    }
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
  /** Characters of the record so far; past the bound, the record is refused and its text not kept. */
  private recordLength = 0;

  push(chunk: string): CsvRecord[] {
    const records: CsvRecord[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i]!;
      if (++this.recordLength > MAX_LINE_CHARACTERS && this.problem === undefined) {
        this.problem = `the record is longer than ${MAX_LINE_CHARACTERS.toLocaleString('en')} characters`;
        this.fields = [];
        this.field = '';
      }
      if (this.state === 'quoted') {
        if (ch === '"') this.state = 'quote-in-quoted';
        else {
          if (ch === '\n') this.line++;
          if (this.recordLength <= MAX_LINE_CHARACTERS) this.field += ch;
        }
        continue;
      }
      if (this.state === 'quote-in-quoted') {
        if (ch === '"') {
          if (this.recordLength <= MAX_LINE_CHARACTERS) this.field += '"';
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
        if (this.recordLength <= MAX_LINE_CHARACTERS) this.field += ch;
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
    // A record already refused for its length keeps no text.
    if (this.recordLength <= MAX_LINE_CHARACTERS) this.fields.push(this.field);
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
    this.recordLength = 0;
    // A blank line is not a record.
    return record.fields.length === 1 && record.fields[0] === '' && !record.problem ? undefined : record;
  }
}

export async function* csvRecords(chunks: AsyncIterable<string>): AsyncGenerator<CsvRecord> {
  const reader = new CsvReader();
  for await (const chunk of chunks) yield* reader.push(chunk);
  yield* reader.end();
}
