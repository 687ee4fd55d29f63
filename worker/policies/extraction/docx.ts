import { strFromU8, unzipSync } from 'fflate';
import { PolicyFileError } from './file-error';

const DOCUMENT_PART = 'word/document.xml';
const NUMBERING_PART = 'word/numbering.xml';

/** The parts of a Word document this reader uses; undefined when the zip is not a Word document. */
interface DocxParts {
  document: string;
  numbering?: string;
}

/** The most a part may inflate to; the buffer it inflates into is this size at most, whatever the data holds. */
export const MAX_PART_BYTES = 20 * 1024 * 1024;
/** Past 1 MB, a part that inflates more than 100 times its compressed size is a decompression bomb. */
const MAX_RATIO = 100;
const RATIO_FROM_BYTES = 1024 * 1024;

export function openDocx(bytes: Uint8Array): DocxParts | undefined {
  let files: Record<string, Uint8Array>;
  let refused: string | undefined;
  try {
    // Sizes are read from the archive's directory before anything is inflated; fflate inflates a
    // part into a buffer of its declared size, so a lying declaration cannot grow it either.
    files = unzipSync(bytes, {
      filter: (file) => {
        if (file.name !== DOCUMENT_PART && file.name !== NUMBERING_PART) return false;
        const ratio = file.originalSize / Math.max(1, file.size);
        if (file.originalSize > MAX_PART_BYTES || (file.originalSize > RATIO_FROM_BYTES && ratio > MAX_RATIO)) {
          refused ??= `The DOCX's ${file.name} would inflate to ${(file.originalSize / 1024 / 1024).toFixed(1)} MB (${Math.round(ratio)} times its compressed size); at most ${MAX_PART_BYTES / 1024 / 1024} MB and ${MAX_RATIO} times are read.`;
          return false;
        }
        return true;
      },
    });
  } catch {
    throw new PolicyFileError('corrupt', 'The file looks like a DOCX (a zip archive) but the archive is damaged.');
  }
  if (refused) throw new PolicyFileError('too_large', refused);
  const document = files[DOCUMENT_PART];
  if (!document) return undefined;
  const numbering = files[NUMBERING_PART];
  return { document: strFromU8(document), numbering: numbering && strFromU8(numbering) };
}

/** One line per paragraph, blank lines between them, list numbers rendered as Word shows them. */
export function docxText(parts: DocxParts): string {
  const lists = new ListNumbering(parts.numbering ? readListLevels(parts.numbering) : new Map());
  return readParagraphs(parts.document, lists).join('\n\n');
}

type XmlToken = { kind: 'open' | 'close' | 'empty'; name: string; attributes: string } | { kind: 'text'; text: string };

const TAG = /^<(\/?)([A-Za-z_][\w.:-]*)([^>]*?)(\/?)>$/;

/**
 * Just enough XML for WordprocessingML: elements, attributes as raw text, character data. A
 * hand-written scan, linear in the text: each search for a closing `>` or `]]>` that fails is
 * remembered, so a hostile part (`<a<a<a...` without `>`) is not rescanned from every `<`.
 */
function* xmlTokens(xml: string): Generator<XmlToken> {
  let position = 0;
  let noGreaterFrom = Number.POSITIVE_INFINITY;
  let noCdataEndFrom = Number.POSITIVE_INFINITY;
  const find = (needle: string, from: number, missingFrom: number) =>
    from >= missingFrom ? -1 : xml.indexOf(needle, from);
  while (position < xml.length) {
    const open = xml.indexOf('<', position);
    if (open !== position) {
      const end = open === -1 ? xml.length : open;
      yield { kind: 'text', text: decodeXmlEntities(xml.slice(position, end)) };
      position = end;
      continue;
    }
    if (xml.startsWith('<![CDATA[', open)) {
      const close = find(']]>', open + 9, noCdataEndFrom);
      if (close === -1) {
        noCdataEndFrom = Math.min(noCdataEndFrom, open);
        position = open + 1;
        continue;
      }
      yield { kind: 'text', text: xml.slice(open + 9, close) };
      position = close + 3;
      continue;
    }
    const close = find('>', open + 1, noGreaterFrom);
    if (close === -1) {
      noGreaterFrom = Math.min(noGreaterFrom, open);
      // A `<` never closed is not markup: what follows it, up to the next `<`, is character data.
      const next = xml.indexOf('<', open + 1);
      const end = next === -1 ? xml.length : next;
      if (end > open + 1) yield { kind: 'text', text: decodeXmlEntities(xml.slice(open + 1, end)) };
      position = end;
      continue;
    }
    const markup = xml.slice(open, close + 1);
    position = close + 1;
    if (markup[1] === '?' || markup[1] === '!') continue;
    const tag = TAG.exec(markup);
    if (!tag) continue;
    const [, closing, name, attributes, selfClosing] = tag;
    yield { kind: closing ? 'close' : selfClosing ? 'empty' : 'open', name: name!, attributes: attributes ?? '' };
  }
}

function attribute(attributes: string, name: string): string | undefined {
  const match = new RegExp(`\\b${name}="([^"]*)"`).exec(attributes);
  return match?.[1] === undefined ? undefined : decodeXmlEntities(match[1]);
}

function decodeXmlEntities(text: string): string {
  const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (_, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    return named[entity] ?? '';
  });
}

interface ParagraphState {
  runs: string[];
  numId?: string;
  level: number;
}

function readParagraphs(xml: string, lists: ListNumbering): string[] {
  const paragraphs: string[] = [];
  const open: ParagraphState[] = [];
  let inText = false;
  let inProperties = false;
  let skippedDepth = 0;
  for (const token of xmlTokens(xml)) {
    // mc:Fallback repeats the content of mc:Choice (text boxes, shapes) for older readers.
    if (token.kind !== 'text' && token.name === 'mc:Fallback') {
      if (token.kind === 'open') skippedDepth += 1;
      if (token.kind === 'close') skippedDepth -= 1;
      continue;
    }
    if (skippedDepth > 0) continue;
    const paragraph = open.at(-1);
    if (token.kind === 'text') {
      if (inText && paragraph) paragraph.runs.push(token.text);
      continue;
    }
    switch (token.name) {
      case 'w:p':
        if (token.kind === 'open') open.push({ runs: [], level: 0 });
        if (token.kind === 'close' && paragraph) {
          open.pop();
          paragraphs.push(renderParagraph(paragraph, lists));
        }
        break;
      case 'w:pPr':
        inProperties = token.kind === 'open';
        break;
      case 'w:t':
        inText = token.kind === 'open';
        break;
      case 'w:numId':
        if (inProperties && paragraph) paragraph.numId = attribute(token.attributes, 'w:val');
        break;
      case 'w:ilvl':
        if (inProperties && paragraph) paragraph.level = Number(attribute(token.attributes, 'w:val') ?? 0);
        break;
      case 'w:tab':
        // Inside paragraph properties w:tab defines a tab stop, not a character.
        if (!inProperties && paragraph) paragraph.runs.push('\t');
        break;
      case 'w:br':
      case 'w:cr':
        paragraph?.runs.push('\n');
        break;
      case 'w:noBreakHyphen':
        paragraph?.runs.push('-');
        break;
    }
  }
  return paragraphs.map((text) => text.trim()).filter(Boolean);
}

function renderParagraph(paragraph: ParagraphState, lists: ListNumbering): string {
  const text = paragraph.runs.join('');
  if (!paragraph.numId || !text.trim()) return text;
  const label = lists.next(paragraph.numId, paragraph.level);
  return label ? `${label} ${text}` : text;
}

interface ListLevel {
  start: number;
  format: string;
  template: string;
}

/** numId -> levels, resolved through the abstract numbering definitions of word/numbering.xml. */
function readListLevels(xml: string): Map<string, Map<number, ListLevel>> {
  const abstractLevels = new Map<string, Map<number, ListLevel>>();
  const numToAbstract = new Map<string, string>();
  let abstractId: string | undefined;
  let numId: string | undefined;
  let level: (ListLevel & { index: number }) | undefined;
  for (const token of xmlTokens(xml)) {
    if (token.kind === 'text') continue;
    const value = attribute(token.attributes, 'w:val');
    if (token.name === 'w:abstractNum')
      abstractId = token.kind === 'open' ? attribute(token.attributes, 'w:abstractNumId') : undefined;
    if (token.name === 'w:num') numId = token.kind === 'open' ? attribute(token.attributes, 'w:numId') : undefined;
    if (token.name === 'w:abstractNumId' && numId && value) numToAbstract.set(numId, value);
    if (!abstractId) continue;
    if (token.name === 'w:lvl' && token.kind === 'open') {
      level = { index: Number(attribute(token.attributes, 'w:ilvl') ?? 0), start: 1, format: 'decimal', template: '' };
    } else if (token.name === 'w:lvl' && token.kind === 'close' && level) {
      const levels = abstractLevels.get(abstractId) ?? new Map<number, ListLevel>();
      levels.set(level.index, { start: level.start, format: level.format, template: level.template });
      abstractLevels.set(abstractId, levels);
      level = undefined;
    } else if (level && value !== undefined) {
      if (token.name === 'w:start') level.start = Number(value);
      if (token.name === 'w:numFmt') level.format = value;
      if (token.name === 'w:lvlText') level.template = value;
    }
  }
  const lists = new Map<string, Map<number, ListLevel>>();
  for (const [num, abstract] of numToAbstract) {
    const levels = abstractLevels.get(abstract);
    if (levels) lists.set(num, levels);
  }
  return lists;
}

/** Word's list counters: each level counts up, and a level restarts when a shallower one advances. */
class ListNumbering {
  private readonly counters = new Map<string, number[]>();
  constructor(private readonly lists: Map<string, Map<number, ListLevel>>) {}

  next(numId: string, level: number): string {
    const levels = this.lists.get(numId);
    const definition = levels?.get(level);
    if (!levels || !definition) return '';
    // A bullet's lvlText is a symbol-font glyph; a Markdown-style dash keeps it readable.
    if (definition.format === 'bullet') return '-';
    const counts = (this.counters.get(numId) ?? []).slice(0, level + 1);
    counts[level] = (counts[level] ?? definition.start - 1) + 1;
    this.counters.set(numId, counts);
    return definition.template.replace(/%(\d)/g, (_, n: string) => {
      const index = Number(n) - 1;
      const shallower = levels.get(index);
      return shallower ? formatCounter(counts[index] ?? shallower.start, shallower.format) : '';
    });
  }
}

function formatCounter(count: number, format: string): string {
  switch (format) {
    case 'none':
      return '';
    case 'lowerLetter':
      return letters(count);
    case 'upperLetter':
      return letters(count).toUpperCase();
    case 'lowerRoman':
      return roman(count);
    case 'upperRoman':
      return roman(count).toUpperCase();
    case 'decimalZero':
      return String(count).padStart(2, '0');
    default:
      return String(count);
  }
}

/** Word's letter numbering: a..z, then aa..zz. */
function letters(count: number): string {
  const letter = String.fromCharCode(97 + ((count - 1) % 26));
  return letter.repeat(Math.floor((count - 1) / 26) + 1);
}

function roman(count: number): string {
  const numerals: [number, string][] = [
    [1000, 'm'],
    [900, 'cm'],
    [500, 'd'],
    [400, 'cd'],
    [100, 'c'],
    [90, 'xc'],
    [50, 'l'],
    [40, 'xl'],
    [10, 'x'],
    [9, 'ix'],
    [5, 'v'],
    [4, 'iv'],
    [1, 'i'],
  ];
  let rest = count;
  let result = '';
  for (const [value, numeral] of numerals) {
    while (rest >= value) {
      result += numeral;
      rest -= value;
    }
  }
  return result;
}
