const UNITS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};

/** Lakh and crore are how Indian policies write large amounts. */
const WORD_SCALES: Record<string, number> = {
  hundred: 100,
  thousand: 1_000,
  lakh: 100_000,
  lakhs: 100_000,
  million: 1_000_000,
  crore: 10_000_000,
  crores: 10_000_000,
  billion: 1_000_000_000,
};

/** Multipliers written after digits: `10k`, `2.5 million`, `USD 3m`. */
export const SCALES: Record<string, number> = {
  ...WORD_SCALES,
  k: 1_000,
  m: 1_000_000,
  mn: 1_000_000,
  bn: 1_000_000_000,
};

const NUMBER_WORD = `(?:${[...Object.keys(UNITS), ...Object.keys(WORD_SCALES)].sort((a, b) => b.length - a.length).join('|')})\\b`;

/** A regular-expression source matching a number in words: `ten thousand`, `twenty-five`, `a hundred`. */
export const NUMBER_IN_WORDS = `(?:an? (?=hundred|thousand|million|billion))?${NUMBER_WORD}(?:(?:[ -]| and )${NUMBER_WORD})*`;

/** `ten thousand` -> 10000, `twenty-five` -> 25, `one hundred and fifty` -> 150, `a million` -> 1000000. */
export function wordsToNumber(words: string): number | undefined {
  const parts = words
    .toLowerCase()
    .split(/[\s-]+/)
    .filter((part) => part && part !== 'and');
  if (parts.length === 0) return undefined;
  let total = 0;
  let group = 0;
  for (const [index, part] of parts.entries()) {
    const unit = index === 0 && (part === 'a' || part === 'an') ? 1 : UNITS[part];
    const scale = WORD_SCALES[part];
    if (unit !== undefined) group += unit;
    else if (scale === 100) group = (group || 1) * 100;
    else if (scale !== undefined) [total, group] = [total + (group || 1) * scale, 0];
    else return undefined;
  }
  return total + group;
}

/**
 * A numeral with its grouping: `10,000`, `10 000`, `1,00,000` (Indian), `5.000,00`, `9,999.99`, `2.5`.
 * A single `.` followed by exactly three digits groups thousands only when `money` says the number is an
 * amount (`EUR 10.000` is ten thousand; a count of `2.500` hours is not).
 */
export function parseNumeral(raw: string, money: boolean): number | undefined {
  const text = /^\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?$/.test(raw) ? raw.replace(/[ \u00a0\u202f]/g, '') : raw;
  const lastDot = text.lastIndexOf('.');
  const lastComma = text.lastIndexOf(',');
  let normalized = text;
  if (lastDot !== -1 && lastComma !== -1) {
    const [decimal, grouping] = lastDot > lastComma ? ['.', ','] : [',', '.'];
    normalized = text.split(grouping).join('').replace(decimal, '.');
  } else if (lastDot !== -1 || lastComma !== -1) {
    normalized = withoutGrouping(text, lastDot !== -1 ? '.' : ',', money);
  }
  return /^\d+(?:\.\d+)?$/.test(normalized) ? Number(normalized) : undefined;
}

function withoutGrouping(text: string, separator: '.' | ',', money: boolean): string {
  const [head = '', ...tail] = text.split(separator);
  const western = tail.every((group) => group.length === 3) && (tail.length > 1 || separator === ',' || money);
  // Indian grouping: 1,00,000 and 10,00,000 (two-digit groups, then a final group of three).
  const indian =
    separator === ',' &&
    tail.length > 1 &&
    tail.at(-1)?.length === 3 &&
    tail.slice(0, -1).every((group) => group.length === 2);
  if ((western || indian) && head.length <= 3) return head + tail.join('');
  return tail.length === 1 ? `${head}.${tail[0]}` : text;
}
