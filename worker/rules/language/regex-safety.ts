/**
 * Regular expressions for the `matches` operator.
 *
 * A pattern must mean the same in the JavaScript evaluator and in Postgres (`~`, advanced regular
 * expressions). So it is parsed into a small AST covering only the syntax both read alike,
 * re-emitted in one canonical source for Postgres (non-capturing groups only, which Postgres
 * matches with a DFA) and compiled for JavaScript into a linear-time automaton (linear-match.ts):
 * no user pattern ever runs on a backtracking engine. Ambiguous repetition, which is always an
 * authoring mistake and what makes backtracking engines blow up, is still refused at save.
 * The syntax (the same in both engines as JavaScript flags `su` would read it):
 *
 * - literals, escaped ASCII punctuation, `\t \n \v \f \r`;
 * - classes `[...]`, `[^...]` with ranges; `\d \w \s` (and `\D \W \S` outside classes) mean the
 *   ASCII sets `[0-9]`, `[0-9A-Za-z_]`, `[\t\n\v\f\r ]` in both engines (the engines' own
 *   shorthands differ beyond ASCII, so they are emitted as explicit classes);
 * - `.` (any character, newlines included), `^` and `$` (start and end of the whole text);
 * - groups `(...)`, `(?:...)`, alternation `|`, greedy quantifiers `* + ? {m} {m,} {m,n}` (n <= 255).
 *
 * Refused: backreferences, lookarounds, named groups, inline flags, `\b` and other escapes, lazy
 * or possessive quantifiers, empty alternatives, and the shapes that backtrack badly.
 */

import { type CharSet, type LinearMatcher, linearMatcher, type RegexNode } from './linear-match';

const MAX_PATTERN_LENGTH = 512;
// Postgres' DUPMAX: a larger repetition count does not compile there.
const MAX_REPEAT = 255;
// Counted repetitions expand into automaton states in Postgres; keep the expansion small.
const MAX_EXPANDED_SIZE = 1000;
const MAX_CODE_POINT = 0x10ffff;

class Refusal extends Error {}

function refuse(reason: string): never {
  throw new Refusal(reason);
}

const SHORTHANDS: Record<string, CharSet> = {
  d: [[48, 57]],
  w: [
    [48, 57],
    [65, 90],
    [95, 95],
    [97, 122],
  ],
  s: [
    [9, 13],
    [32, 32],
  ],
};
const CONTROL_ESCAPES: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13 };
const ESCAPE_OF_CONTROL = new Map(
  Object.entries(CONTROL_ESCAPES).map(([letter, codePoint]) => [codePoint, `\\${letter}`]),
);
const ASCII_PUNCTUATION = /^[!-/:-@[-`{-~]$/;
const SYNTAX_CHARACTERS = '^$\\.*+?()[]{}|/';
const CLASS_SYNTAX_CHARACTERS = '\\][^-';

class PatternParser {
  private position = 0;
  private readonly characters: string[];

  constructor(pattern: string) {
    this.characters = Array.from(pattern);
  }

  parse(): RegexNode[][] {
    const alternatives = this.alternatives();
    if (this.peek() === ')') refuse('unbalanced parenthesis: a ) without its (');
    return alternatives;
  }

  private peek(offset = 0): string | undefined {
    return this.characters[this.position + offset];
  }

  private next(): string | undefined {
    return this.characters[this.position++];
  }

  private alternatives(): RegexNode[][] {
    const alternatives = [this.sequence()];
    while (this.peek() === '|') {
      this.next();
      alternatives.push(this.sequence());
    }
    return alternatives;
  }

  private sequence(): RegexNode[] {
    const items: RegexNode[] = [];
    while (this.peek() !== undefined && this.peek() !== '|' && this.peek() !== ')') {
      items.push(this.quantified(this.atom()));
    }
    if (items.length === 0) refuse('empty alternative: every side of | and every group must match something');
    return items;
  }

  private atom(): RegexNode {
    const character = this.next() as string;
    switch (character) {
      case '(':
        return this.group();
      case '[':
        return this.characterClass();
      case '.':
        return { kind: 'set', negated: true, ranges: [] };
      case '^':
      case '$':
        return { kind: 'anchor', text: character };
      case '\\':
        return this.escape();
      case '*':
      case '+':
      case '?':
        return refuse(`nothing to repeat before ${character}`);
      case '{':
      case '}':
      case ']':
        return refuse(`write a literal ${character} as \\${character}`);
      default:
        return literal(character);
    }
  }

  private group(): RegexNode {
    if (this.peek() === '?') {
      this.next();
      if (this.next() !== ':') refuse('lookarounds, named groups and inline flags are not supported');
    }
    const alternatives = this.alternatives();
    if (this.next() !== ')') refuse('unbalanced parenthesis: a ( without its )');
    return { kind: 'group', alternatives };
  }

  private quantified(atom: RegexNode): RegexNode {
    const bounds = this.quantifier();
    if (!bounds) return atom;
    if (atom.kind === 'anchor') refuse('an anchor cannot be repeated');
    const after = this.peek();
    if (after !== undefined && '?+*{'.includes(after))
      refuse('lazy, possessive or stacked quantifiers are not supported');
    return { kind: 'repeat', body: atom, min: bounds[0], max: bounds[1] };
  }

  private quantifier(): [number, number | null] | null {
    const character = this.peek();
    if (character === '*' || character === '+' || character === '?') {
      this.next();
      return character === '*' ? [0, null] : character === '+' ? [1, null] : [0, 1];
    }
    if (character !== '{') return null;
    this.next();
    const min = this.count();
    const max = this.peek() === ',' ? this.upperCount() : min;
    if (this.next() !== '}') refuse('a repetition is written {m}, {m,} or {m,n}; write a literal { as \\{');
    if (min > MAX_REPEAT || (max !== null && max > MAX_REPEAT)) refuse(`repetition counts go up to ${MAX_REPEAT}`);
    if (max !== null && max < min) refuse(`repetition {${min},${max}} is out of order`);
    return [min, max];
  }

  /** After `{m`: the `,n` or `,` (unbounded) part. */
  private upperCount(): number | null {
    this.next();
    return this.peek() === '}' ? null : this.count();
  }

  private count(): number {
    let digits = '';
    while (/^[0-9]$/.test(this.peek() ?? '')) digits += this.next();
    if (!digits) refuse('a repetition is written {m}, {m,} or {m,n}; write a literal { as \\{');
    return Number(digits);
  }

  private escape(): RegexNode {
    const character = this.next();
    if (character === undefined) refuse('the pattern ends with a lone backslash');
    const shorthand = SHORTHANDS[character.toLowerCase()];
    if (shorthand) return { kind: 'set', negated: character !== character.toLowerCase(), ranges: shorthand };
    return literal(String.fromCodePoint(this.escapedCodePoint(character)));
  }

  /** The character a backslash escape stands for, inside or outside a class. */
  private escapedCodePoint(character: string): number {
    const control = CONTROL_ESCAPES[character];
    if (control !== undefined) return control;
    if (/^[0-9]$/.test(character)) refuse('backreferences such as \\1 are not supported');
    if (character === 'b' || character === 'B')
      refuse('\\b means a word boundary in JavaScript but a backspace in Postgres');
    if (!ASCII_PUNCTUATION.test(character)) refuse(`\\${character} is not supported; write a character class instead`);
    return character.codePointAt(0) as number;
  }

  private characterClass(): RegexNode {
    const negated = this.peek() === '^';
    if (negated) this.next();
    const ranges: (readonly [number, number])[] = [];
    for (let character = this.next(); character !== ']'; character = this.next()) {
      if (character === undefined) refuse('a character class [ is never closed');
      ranges.push(...this.classMember(character, ranges.length === 0));
    }
    if (ranges.length === 0) refuse('empty character class; write a literal ] as \\]');
    return { kind: 'set', negated, ranges };
  }

  private classMember(character: string, isFirst: boolean): CharSet {
    if (character === '[') refuse('write a literal [ inside a class as \\[');
    if (character === '-' && !isFirst && this.peek() !== ']')
      refuse('write a literal - first or last in a class, or as \\-');
    const low = this.classAtom(character);
    if (typeof low !== 'number') return low;
    if (this.peek() !== '-' || this.peek(1) === ']' || this.peek(1) === undefined) return [[low, low]];
    this.next();
    const high = this.classAtom(this.next() as string);
    if (typeof high !== 'number') refuse('a range cannot end in a shorthand such as \\d');
    if (high < low) refuse(`range ${String.fromCodePoint(low)}-${String.fromCodePoint(high)} is out of order`);
    return [[low, high]];
  }

  private classAtom(character: string): number | CharSet {
    if (character !== '\\') return character.codePointAt(0) as number;
    const escaped = this.next();
    if (escaped === undefined) refuse('a character class [ is never closed');
    const shorthand = SHORTHANDS[escaped];
    if (shorthand) return shorthand;
    if (SHORTHANDS[escaped.toLowerCase()]) refuse(`\\${escaped} cannot be used inside a class`);
    return this.escapedCodePoint(escaped);
  }
}

function literal(character: string): RegexNode {
  return { kind: 'literal', codePoint: character.codePointAt(0) as number };
}

// Character sets: sorted, merged, inclusive code point ranges.

function normalizeSet(ranges: Iterable<readonly [number, number]>): CharSet {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [low, high] of sorted) {
    const last = merged[merged.length - 1];
    if (last && low <= last[1] + 1) last[1] = Math.max(last[1], high);
    else merged.push([low, high]);
  }
  return merged;
}

function union(...sets: CharSet[]): CharSet {
  return normalizeSet(sets.flat());
}

function complement(set: CharSet): CharSet {
  const result: [number, number][] = [];
  let next = 0;
  for (const [low, high] of normalizeSet(set)) {
    if (low > next) result.push([next, low - 1]);
    next = high + 1;
  }
  if (next <= MAX_CODE_POINT) result.push([next, MAX_CODE_POINT]);
  return result;
}

function overlaps(a: CharSet, b: CharSet): boolean {
  return a.some(([low, high]) => b.some(([otherLow, otherHigh]) => low <= otherHigh && otherLow <= high));
}

// Facts about nodes and sequences.

function nullable(node: RegexNode): boolean {
  switch (node.kind) {
    case 'literal':
    case 'set':
      return false;
    case 'anchor':
      return true;
    case 'group':
      return node.alternatives.some(nullableSequence);
    case 'repeat':
      return node.min === 0 || nullable(node.body);
  }
}

function nullableSequence(items: readonly RegexNode[]): boolean {
  return items.every(nullable);
}

/** Every character the node could consume. */
function chars(node: RegexNode): CharSet {
  switch (node.kind) {
    case 'literal':
      return [[node.codePoint, node.codePoint]];
    case 'set':
      return node.negated ? complement(node.ranges) : normalizeSet(node.ranges);
    case 'anchor':
      return [];
    case 'group':
      return union(...node.alternatives.flat().map(chars));
    case 'repeat':
      return chars(node.body);
  }
}

/** The characters a match of the node can start with. */
function first(node: RegexNode): CharSet {
  switch (node.kind) {
    case 'group':
      return union(...node.alternatives.map(firstOfSequence));
    case 'repeat':
      return first(node.body);
    default:
      return chars(node);
  }
}

function firstOfSequence(items: readonly RegexNode[]): CharSet {
  const leading = items.findIndex((item) => !nullable(item));
  return union(...items.slice(0, leading === -1 ? items.length : leading + 1).map(first));
}

/**
 * Characters consumed by the node's loops: unbounded quantifiers anywhere inside it, and a
 * bounded variable one (`?`, `{1,3}`) when it is the node itself, an item of the sequence being
 * checked (so an optional run `a?a?aa` is a run of loops, while `(\d{1,3}\.){3}` closes its own).
 */
function loopChars(node: RegexNode, direct = true): CharSet {
  if (node.kind === 'repeat') {
    if (node.max === null || (direct && node.max !== node.min)) return chars(node.body);
    return loopChars(node.body, false);
  }
  if (node.kind === 'group') return union(...node.alternatives.flat().map((item) => loopChars(item, false)));
  return [];
}

/** Inlines plain groups of one alternative, so `((a+)b)` is analysed as the sequence `a+ b`. */
function flatten(items: readonly RegexNode[]): RegexNode[] {
  return items.flatMap((item) =>
    item.kind === 'group' && item.alternatives.length === 1 ? flatten(item.alternatives[0] ?? []) : [item],
  );
}

function sequenceOf(node: RegexNode): RegexNode[] {
  return flatten([node]);
}

function expandedSize(node: RegexNode): number {
  switch (node.kind) {
    case 'group':
      return node.alternatives.flat().reduce((total, item) => total + expandedSize(item), 0);
    case 'repeat':
      return expandedSize(node.body) * (node.max ?? node.min + 1);
    default:
      return 1;
  }
}

function* descendants(node: RegexNode): Generator<RegexNode> {
  yield node;
  if (node.kind === 'group') for (const item of node.alternatives.flat()) yield* descendants(item);
  if (node.kind === 'repeat') yield* descendants(node.body);
}

// The safety analysis.

/**
 * Exponential backtracking needs a repeated part that can read the same text in more than one
 * way. Inside every repeated part: the body cannot match empty text, alternatives start with
 * different characters, and each variable quantifier is delimited (what can follow it cannot
 * start with a character it consumes).
 */
function checkRepeatedPart(repeat: Extract<RegexNode, { kind: 'repeat' }>): void {
  if (nullable(repeat.body)) refuse('a repeated part can match empty text, e.g. (a*)*');
  for (const node of descendants(repeat.body)) {
    if (node.kind !== 'group' || node.alternatives.length < 2) continue;
    const starts = node.alternatives.map(firstOfSequence);
    const overlapping = starts.some((start, i) => starts.slice(i + 1).some((other) => overlaps(start, other)));
    if (overlapping || node.alternatives.some(nullableSequence))
      refuse('alternatives inside a repeated part overlap, e.g. (a|ab)*');
  }
  checkDelimited(sequenceOf(repeat.body), first(repeat.body));
}

function checkDelimited(items: readonly RegexNode[], after: CharSet): void {
  const sequence = flatten(items);
  sequence.forEach((item, index) => {
    const rest = sequence.slice(index + 1);
    const follow = nullableSequence(rest) ? union(firstOfSequence(rest), after) : firstOfSequence(rest);
    if (item.kind === 'group') for (const alternative of item.alternatives) checkDelimited(alternative, follow);
    if (item.kind !== 'repeat') return;
    if (item.min !== item.max && overlaps(chars(item.body), follow))
      refuse('nested quantifiers can split the same text in many ways, e.g. (a+)+ or (.*a){20}');
    checkDelimited(sequenceOf(item.body), item.max === 1 ? follow : union(first(item.body), follow));
  });
}

/**
 * Polynomial (or, with many of them, exponential) backtracking needs two variable quantifiers that
 * take turns over the same text, e.g. `.*a.*b` or the optional run `a?a?a?aaa`. A loop is fine when what follows it cannot start with a character it consumes,
 * when a mandatory part it cannot consume separates it from the next overlapping loop, or when
 * that next loop ends the pattern (it then succeeds at once).
 */
function checkLoopPairs(items: readonly RegexNode[], atTop: boolean): void {
  const sequence = flatten(items);
  const loops = sequence.map((item) => loopChars(item));
  sequence.forEach((_, i) => {
    const consumed = loops[i] ?? [];
    const rest = sequence.slice(i + 1);
    const forced = !overlaps(firstOfSequence(rest), consumed) && (atTop || !nullableSequence(rest));
    if (consumed.length === 0 || forced) return;
    for (let j = i + 1; j < sequence.length; j++) {
      const between = sequence[j] as RegexNode;
      if (!nullable(between) && !overlaps(chars(between), consumed)) return;
      if (!overlaps(loops[j] ?? [], consumed) || (atTop && j === sequence.length - 1)) continue;
      refuse('two quantifiers can take turns over the same text, e.g. .*a.*b; anchor or separate them');
    }
  });
  for (const item of sequence) {
    if (item.kind === 'group') for (const alternative of item.alternatives) checkLoopPairs(alternative, false);
    if (item.kind === 'repeat') checkLoopPairs(sequenceOf(item.body), false);
  }
}

function analyze(alternatives: RegexNode[][]): void {
  const root: RegexNode = { kind: 'group', alternatives };
  if (expandedSize(root) > MAX_EXPANDED_SIZE)
    refuse(`the pattern expands to more than ${MAX_EXPANDED_SIZE} parts; use smaller repetition counts`);
  for (const node of descendants(root)) {
    if (node.kind === 'repeat' && (node.max === null || node.max > 1)) checkRepeatedPart(node);
  }
  for (const alternative of alternatives) checkLoopPairs(alternative, true);
}

// Emission: one source text, read alike by JavaScript (flags `su`) and Postgres.

function emitCharacter(codePoint: number, syntax: string): string {
  const character = String.fromCodePoint(codePoint);
  return ESCAPE_OF_CONTROL.get(codePoint) ?? (syntax.includes(character) ? `\\${character}` : character);
}

function emitNode(node: RegexNode): string {
  switch (node.kind) {
    case 'literal':
      return emitCharacter(node.codePoint, SYNTAX_CHARACTERS);
    case 'set': {
      if (node.negated && node.ranges.length === 0) return '.';
      const members = normalizeSet(node.ranges).map(([low, high]) =>
        low === high
          ? emitCharacter(low, CLASS_SYNTAX_CHARACTERS)
          : `${emitCharacter(low, CLASS_SYNTAX_CHARACTERS)}-${emitCharacter(high, CLASS_SYNTAX_CHARACTERS)}`,
      );
      return `[${node.negated ? '^' : ''}${members.join('')}]`;
    }
    case 'anchor':
      return node.text;
    case 'group':
      return `(?:${node.alternatives.map(emitSequence).join('|')})`;
    case 'repeat':
      return `${emitNode(node.body)}${emitQuantifier(node.min, node.max)}`;
  }
}

function emitQuantifier(min: number, max: number | null): string {
  if (max === null) return min === 0 ? '*' : min === 1 ? '+' : `{${min},}`;
  if (min === 0 && max === 1) return '?';
  return min === max ? `{${min}}` : `{${min},${max}}`;
}

function emitSequence(items: readonly RegexNode[]): string {
  return items.map(emitNode).join('');
}

export interface PortableRegex {
  /** The canonical source, for Postgres' `~` (no capturing groups: Postgres matches it with a DFA). */
  readonly source: string;
  /** The JavaScript evaluator's matcher: linear time, never a backtracking engine. */
  readonly matcher: LinearMatcher;
}

function buildPortableRegex(pattern: string): PortableRegex {
  if (pattern.length > MAX_PATTERN_LENGTH) refuse(`a pattern has at most ${MAX_PATTERN_LENGTH} characters`);
  // Postgres text cannot hold NUL, and a lone surrogate does not survive the trip to UTF-8.
  if (/[\0\p{Cs}]/u.test(pattern)) refuse('the pattern contains a NUL or an unpaired surrogate');
  const alternatives = new PatternParser(pattern).parse();
  analyze(alternatives);
  return { source: alternatives.map(emitSequence).join('|'), matcher: linearMatcher(alternatives) };
}

/** null when the pattern is safe and portable, otherwise the reason it is refused. */
export function checkRegexSafety(pattern: string): string | null {
  try {
    buildPortableRegex(pattern);
    return null;
  } catch (error) {
    if (error instanceof Refusal) return error.message;
    throw error;
  }
}

const compiled = new Map<string, PortableRegex>();
// Rules are few; the cap only guards against an unbounded stream of distinct patterns.
const MAX_CACHED_PATTERNS = 512;

/** The portable form of a pattern that checkRegexSafety accepted; throws on any other. */
export function portableRegex(pattern: string): PortableRegex {
  const cached = compiled.get(pattern);
  if (cached) return cached;
  if (compiled.size >= MAX_CACHED_PATTERNS) compiled.clear();
  const regex = buildPortableRegex(pattern);
  compiled.set(pattern, regex);
  return regex;
}
