import { strFromU8, unzipSync } from 'fflate';
import { PolicyFileError } from './file-error';

const DOCUMENT_PART = 'word/document.xml';
const NUMBERING_PART = 'word/numbering.xml';

/** The parts of a Word document this reader uses; undefined when the zip is not a Word document. */
interface DocxParts {
  document: string;
  numbering?: string;
}

export function openDocx(bytes: Uint8Array): DocxParts | undefined {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: (file) => file.name === DOCUMENT_PART || file.name === NUMBERING_PART });
  } catch {
    throw new PolicyFileError('corrupt', 'The file looks like a DOCX (a zip archive) but the archive is damaged.');
  }
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

/** Just enough XML for WordprocessingML: elements, attributes as raw text, character data. */
function* xmlTokens(xml: string): Generator<XmlToken> {
  const pattern = /<(\/?)([A-Za-z_][\w.:-]*)([^>]*?)(\/?)>|<!\[CDATA\[([\s\S]*?)\]\]>|<[?!][^>]*>|([^<]+)/g;
  for (const match of xml.matchAll(pattern)) {
    const [, closing, name, attributes, selfClosing, cdata, text] = match;
    if (name) {
      const kind = closing ? 'close' : selfClosing ? 'empty' : 'open';
      yield { kind, name, attributes: attributes ?? '' };
    } else if (cdata !== undefined) {
      yield { kind: 'text', text: cdata };
    } else if (text !== undefined) {
      yield { kind: 'text', text: decodeXmlEntities(text) };
    }
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
