/** A numbered (or positionally numbered) part of a policy; `text` is `source.slice(start, end)`. */
export interface Clause {
  /** Stable across versions of a policy, derived from the numbering: `2.3`, `section-4-b`, `p1`. */
  key: string;
  /** As the document writes it: `2.3`, `Section 4(b)`, `3.1(a)`; `¶1` for an unnumbered paragraph. */
  number: string;
  heading?: string;
  text: string;
  start: number;
  end: number;
}

interface Line {
  text: string;
  start: number;
  end: number;
}

/** What a line opens, if anything: its numbering label, where the content begins, whether it is a heading. */
interface ClauseStart {
  label?: string;
  kind: 'decimal' | 'named' | 'sub' | 'heading';
  contentStart: number;
  isHeading: boolean;
}

type SubItemKind = 'digit' | 'letter' | 'roman';

interface SubLevel {
  label: string;
  kind: SubItemKind;
}

interface OpenClause {
  number: string;
  positional: boolean;
  heading?: string;
  start: number;
  end: number;
}

const MARKDOWN_HEADING = /^(#{1,6})[ \t]+/;
const EMPHASIS = /^(?:\*\*|__)/;
const NAMED =
  /^(section|article|clause|part|paragraph|§)[ \t]*(\d{1,3}(?:\.\d{1,3})*[a-z]?|[ivxlc]{1,6})((?:\([a-z0-9]{1,4}\))*)/i;
/** After `Section 4` in running text: `.`, `:`, a dash or the end of the line, so "Section 4 of the Act ..." is prose. */
const NAMED_END = /^(?:[.:]|[ \t]+[-–—]|[ \t]*$)/;
const DECIMAL = /^(\d{1,3}(?:\.\d{1,3})+)\.?(?=[ \t]|$)|^(\d{1,3})[.)](?=[ \t]|$)/;
const SUB_ITEM = /^\(([a-z]{1,4}|\d{1,3})\)(?=[ \t])|^([a-z])\)(?=[ \t])/i;

/**
 * Splits policy text into clauses. A clause runs from a numbered line (or a heading) to the next one;
 * paragraphs before the first numbered clause get positional numbers, later unnumbered paragraphs
 * belong to the clause above them.
 */
export function splitClauses(text: string): Clause[] {
  const builder = new ClauseBuilder(text);
  let previousBlank = true;
  for (const line of lines(text)) {
    if (!line.text.trim()) {
      previousBlank = true;
      continue;
    }
    const start = clauseStart(line);
    if (start) builder.openAt(start, line);
    else if (previousBlank && !builder.seenNumbered) builder.openParagraph(line);
    else builder.extend(line);
    previousBlank = false;
  }
  return builder.finish();
}

function* lines(text: string): Generator<Line> {
  let start = 0;
  for (const line of text.split('\n')) {
    yield { text: line, start, end: start + line.length };
    start += line.length + 1;
  }
}

function clauseStart(line: Line): ClauseStart | undefined {
  const indent = line.text.length - line.text.trimStart().length;
  let rest = line.text.slice(indent);
  let offset = line.start + indent;
  const heading = MARKDOWN_HEADING.exec(rest);
  if (heading) {
    offset += heading[0].length;
    rest = rest.slice(heading[0].length);
  }
  const emphasis = EMPHASIS.exec(rest)?.[0].length ?? 0;
  const numbering = numberingOf(rest.slice(emphasis), Boolean(heading));
  if (numbering) {
    const labelEnd = emphasis + numbering.length;
    const padding = /^(?:\*\*|__)?[ \t]*/.exec(rest.slice(labelEnd))?.[0].length ?? 0;
    return {
      label: numbering.label,
      kind: numbering.kind,
      contentStart: offset + labelEnd + padding,
      isHeading: Boolean(heading),
    };
  }
  if (heading) return { kind: 'heading', contentStart: offset, isHeading: true };
  return undefined;
}

function numberingOf(
  text: string,
  isHeading: boolean,
): { label: string; kind: ClauseStart['kind']; length: number } | undefined {
  const named = NAMED.exec(text);
  const after = named ? text.slice(named[0].length) : '';
  const endsLabel = NAMED_END.exec(after) ?? (isHeading || named?.[3] ? /^(?=[ \t]|$)/.exec(after) : null);
  if (named && endsLabel) {
    return {
      label: `${capitalize(named[1] ?? '')} ${named[2]}${named[3] ?? ''}`,
      kind: 'named',
      length: named[0].length + endsLabel[0].length,
    };
  }
  const decimal = DECIMAL.exec(text);
  if (decimal) return { label: decimal[1] ?? decimal[2] ?? '', kind: 'decimal', length: decimal[0].length };
  const sub = SUB_ITEM.exec(text);
  if (sub) return { label: `(${(sub[1] ?? sub[2] ?? '').toLowerCase()})`, kind: 'sub', length: sub[0].length };
  return undefined;
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1).toLowerCase();
}

/** `Section 4(b)` -> `section-4-b`, `2.3(a)` -> `2.3-a`, `§ 7` -> `section-7`. */
function clauseKey(number: string): string {
  return number
    .toLowerCase()
    .replace(/§/g, 'section ')
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

class ClauseBuilder {
  private readonly clauses: OpenClause[] = [];
  private current: OpenClause | undefined;
  private positionalCount = 0;
  /** The numbering that sub-items such as `(a)` hang from, and the sub-item levels open under it. */
  private parentNumber: string | undefined;
  private subLevels: SubLevel[] = [];
  /** Number of the latest numbered Markdown heading: plain `1.` list items under it are its sub-clauses. */
  private headingNumber: string | undefined;
  seenNumbered = false;

  constructor(private readonly text: string) {}

  /** Opens the clause a numbered line or a heading starts. */
  openAt(start: ClauseStart, line: Line): void {
    const number = start.label ? this.numberFor(start.label, start) : this.nextPositional();
    const heading = start.isHeading
      ? this.text
          .slice(start.contentStart, line.end)
          .replace(/(?:\*\*|__)\s*$/, '')
          .trim()
      : undefined;
    this.open(number, !start.label, start.contentStart, line.end, heading);
    if (start.label) this.seenNumbered = true;
  }

  /** Opens an unnumbered paragraph as a clause of its own, with a positional number. */
  openParagraph(line: Line): void {
    const indent = line.text.length - line.text.trimStart().length;
    this.open(this.nextPositional(), true, line.start + indent, line.end);
  }

  extend(line: Line): void {
    if (!this.current) this.openParagraph(line);
    else this.current.end = line.start + line.text.trimEnd().length;
  }

  finish(): Clause[] {
    this.close();
    const seen = new Map<string, number>();
    return this.clauses.map((clause) => {
      const base = clause.positional ? `p${clause.number.slice(1)}` : clauseKey(clause.number);
      const count = (seen.get(base) ?? 0) + 1;
      seen.set(base, count);
      // Keys are unique per version; a repeated number (a restarted list) keeps its order as a suffix.
      const key = count === 1 ? base : `${base}~${count}`;
      const text = this.text.slice(clause.start, clause.end);
      const heading = clause.heading ?? (clause.positional ? undefined : inferredHeading(text));
      return {
        key,
        number: clause.number,
        ...(heading ? { heading } : {}),
        text,
        start: clause.start,
        end: clause.end,
      };
    });
  }

  private numberFor(label: string, start: ClauseStart): string {
    if (start.kind === 'sub') return this.subItemNumber(label);
    let number = label;
    if (start.kind === 'decimal' && !label.includes('.') && !start.isHeading && this.headingNumber) {
      number = `${this.headingNumber}.${label}`;
    }
    if (start.isHeading) this.headingNumber = number;
    this.parentNumber = number;
    this.subLevels = [];
    return number;
  }

  /** `(a)` after `2.3` is `2.3(a)`; `(i)` after `(a)` nests as `2.3(a)(i)`; the next `(b)` goes back up. */
  private subItemNumber(label: string): string {
    const kind = subItemKind(label, this.subLevels);
    const level = this.subLevels.findIndex((open) => open.kind === kind);
    const kept = level === -1 ? this.subLevels : this.subLevels.slice(0, level);
    this.subLevels = [...kept, { label, kind }];
    return `${this.parentNumber ?? ''}${this.subLevels.map((open) => open.label).join('')}`;
  }

  private nextPositional(): string {
    this.positionalCount += 1;
    return `¶${this.positionalCount}`;
  }

  private open(number: string, positional: boolean, start: number, lineEnd: number, heading?: string): void {
    this.close();
    const end = start + this.text.slice(start, lineEnd).trimEnd().length;
    this.current = { number, positional, start, end, heading };
  }

  private close(): void {
    if (this.current) this.clauses.push(this.current);
    this.current = undefined;
  }
}

/** `(i)` is roman unless it continues a letter sequence that reached `(h)`. */
function subItemKind(label: string, open: SubLevel[]): SubItemKind {
  const inner = label.slice(1, -1);
  if (/^\d+$/.test(inner)) return 'digit';
  if (!/^[ivxlc]+$/.test(inner)) return 'letter';
  const letter = open.findLast((level) => level.kind === 'letter')?.label.charCodeAt(1);
  return inner.length === 1 && letter !== undefined && inner.charCodeAt(0) === letter + 1 ? 'letter' : 'roman';
}

/**
 * A short first line without closing punctuation, such as `Purpose` after `1.`, is the clause's heading,
 * unless the next line continues it in lower case (a sentence wrapped in a PDF).
 */
function inferredHeading(text: string): string | undefined {
  const [first = '', second] = text.split('\n').map((line) => line.trim());
  const short = first.length <= 60 && first.split(/\s+/).length <= 8;
  const titleLike = short && /^[A-Z"“]/.test(first) && !/[.;:,!?]$/.test(first);
  return titleLike && !/^[a-z]/.test(second ?? '') ? first : undefined;
}

export interface ClauseDiff {
  added: Clause[];
  removed: Clause[];
  changed: { before: Clause; after: Clause }[];
}

/** What a new version of a policy added, removed and changed, matching clauses by key; whitespace alone is no change. */
export function diffClauses(previous: Clause[], next: Clause[]): ClauseDiff {
  const before = new Map(previous.map((clause) => [clause.key, clause]));
  const after = new Map(next.map((clause) => [clause.key, clause]));
  const squash = (text: string) => text.replace(/\s+/g, ' ').trim();
  return {
    added: next.filter((clause) => !before.has(clause.key)),
    removed: previous.filter((clause) => !after.has(clause.key)),
    changed: next.flatMap((clause) => {
      const old = before.get(clause.key);
      return old && squash(old.text) !== squash(clause.text) ? [{ before: old, after: clause }] : [];
    }),
  };
}
