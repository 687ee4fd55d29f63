import { describe, expect, it } from 'vitest';
import { type CanonicalTransaction, evaluate } from '../worker/rules/language';
import { checkRegexSafety, portableRegex } from '../worker/rules/language/regex-safety';

function matches(pattern: string, text: string): boolean {
  const subject: CanonicalTransaction = {
    id: 'T-1',
    occurred_at: '2026-03-01T00:00:00Z',
    amount: '1',
    currency: 'USD',
    account: 'ACC-1',
    counterparty: text,
  };
  return evaluate({ field: 'counterparty', op: 'matches', value: pattern }, subject).holds;
}

describe('happy', () => {
  it.each([
    '^INV-\\d{4}-\\d{6}$',
    '^[A-Z]{2}\\d+$',
    'cash|wire',
    '^(?:cash|wire|card)$',
    '^VEND-(77|78)$',
    '\\s*cash\\s*',
    '.*offshore.*',
    '^\\d+(\\.\\d+)*$',
    '^(\\d{1,3}\\.){3}\\d{1,3}$',
    '^[^@\\s]+@[^@\\s]+$',
    '^[A-Z0-9._-]+$',
    '[\\]\\-]',
    '^GB\\d{2}[A-Z]{4}\\d{14}$',
    '(ab|cd)+e',
  ])('accepts the common pattern %s', (pattern) => {
    expect(checkRegexSafety(pattern)).toBeNull();
  });

  it('reads shorthands as ASCII classes, so both engines agree beyond ASCII', () => {
    expect(portableRegex('^\\d+\\w\\s$').source).toBe('^[0-9]+[0-9A-Z_a-z][\\t-\\r ]$');
    expect(matches('^\\d+$', '٣٤')).toBe(false);
    expect(matches('^\\w$', 'é')).toBe(false);
    expect(matches('^\\s$', '\u00a0')).toBe(false);
  });

  it('gives . and $ the Postgres meaning: . matches a newline, $ only the very end', () => {
    expect(matches('^a.b$', 'a\nb')).toBe(true);
    expect(matches('a$', 'a\n')).toBe(false);
  });

  it('matches by code point, so . is one astral character', () => {
    expect(matches('^.$', '\u{1F600}')).toBe(true);
  });

  it('is case-sensitive and unanchored unless anchored', () => {
    expect(matches('wire', 'SWIFT wire transfer')).toBe(true);
    expect(matches('WIRE', 'SWIFT wire transfer')).toBe(false);
    expect(matches('^wire', 'SWIFT wire transfer')).toBe(false);
  });
});

describe('errors', () => {
  it.each([
    ['(a)\\1', /backreference/],
    ['(?=a)b', /lookaround/],
    ['(?<!a)b', /lookaround/],
    ['(?<name>a)', /named group/],
    ['(?i)cash', /inline flag/],
    ['\\bcash\\b', /word boundary/],
    ['\\p{L}+', /not supported/],
    ['a{256}', /255/],
    ['a*?', /lazy/],
    ['a++', /possessive/],
    ['[[:alpha:]]', /\\\[/],
    ['[]a]', /empty character class/],
    ['[z-a]', /out of order/],
    ['a{2,1}', /out of order/],
    ['(a', /unbalanced/],
    ['a)', /unbalanced/],
    ['[a', /never closed/],
    ['a\\', /lone backslash/],
    ['*a', /nothing to repeat/],
    ['^*', /anchor/],
    ['', /empty alternative/],
    ['cash|', /empty alternative/],
    ['x'.repeat(513), /512/],
    ['((a{30}){40})', /expands/],
    ['a\u0000', /NUL/],
  ])('refuses %s', (pattern, reason) => {
    expect(checkRegexSafety(pattern)).toMatch(reason);
  });
});

describe('security', () => {
  it.each([
    '(a+)+',
    '(a*)*',
    '^(a+)+$',
    '(a|a)*',
    '(a|ab)*',
    '(a|ab)*c',
    '(.*a){20}',
    '(\\w+\\s?)*$',
    '^(\\d+)*$',
    '(x+x+)+y',
    '(a?a)+',
    '(|a)*',
    '.*a.*b',
    '\\d+\\d+$',
    '^(([a-z])+.)+[A-Z]([a-z])+$',
  ])('refuses the catastrophic pattern %s', (pattern) => {
    expect(checkRegexSafety(pattern)).not.toBeNull();
  });

  it('evaluates an accepted pattern on hostile input in linear time', () => {
    const hostile = `${'1.'.repeat(20_000)}x`;
    expect(matches('^\\d+(\\.\\d+)*$', hostile)).toBe(false);
    expect(matches('.*offshore.*', 'a'.repeat(5_000))).toBe(false);
  });
});
