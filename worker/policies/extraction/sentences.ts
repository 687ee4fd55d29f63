interface Sentence {
  text: string;
  /** Offsets into the text that was split. */
  start: number;
  end: number;
}

/** Words whose trailing period does not end a sentence. */
const ABBREVIATIONS = new Set([
  'e.g',
  'i.e',
  'etc',
  'no',
  'nos',
  'vs',
  'inc',
  'ltd',
  'co',
  'corp',
  'dr',
  'mr',
  'mrs',
  'ms',
  'st',
  'art',
  'sec',
  'para',
  'approx',
  'incl',
  'u.s',
  'u.k',
  'u.a.e',
  'cf',
  'rs',
  'fig',
]);

/**
 * Splits clause text into sentences: at `.`, `!`, `?` before a capital, digit or quote, and at blank lines,
 * except after a colon, where the list that follows belongs to the sentence that announced it.
 */
export function splitSentences(text: string): Sentence[] {
  const sentences: Sentence[] = [];
  let start = 0;
  const boundary = /[.!?]["”')\]]*(?=\s+["“(]?[A-Z0-9])|\n[ \t]*\n/g;
  for (const match of text.matchAll(boundary)) {
    const isParagraphBreak = match[0].startsWith('\n');
    if (isParagraphBreak && /:\s*$/.test(text.slice(start, match.index))) continue;
    if (!isParagraphBreak && isAbbreviation(text, match.index)) continue;
    const end = isParagraphBreak ? match.index : match.index + match[0].length;
    push(sentences, text, start, end);
    start = end;
  }
  push(sentences, text, start, text.length);
  return sentences;
}

function isAbbreviation(text: string, periodIndex: number): boolean {
  if (text[periodIndex] !== '.') return false;
  const word = /([A-Za-z.]+)$/.exec(text.slice(Math.max(0, periodIndex - 12), periodIndex))?.[1] ?? '';
  return ABBREVIATIONS.has(word.toLowerCase()) || /^[A-Z]$/.test(word);
}

function push(sentences: Sentence[], text: string, from: number, to: number): void {
  const raw = text.slice(from, to);
  const leading = raw.length - raw.trimStart().length;
  const trimmed = raw.trim();
  if (trimmed) sentences.push({ text: trimmed, start: from + leading, end: from + leading + trimmed.length });
}
