import { describe, expect, it } from 'vitest';
import { type CanonicalTransaction, evaluate } from '../worker/rules/language';
import { checkRegexSafety, portableRegex } from '../worker/rules/language/regex-safety';
import { api, registerOrganization } from './helpers';

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

const BAD_SHAPES = [
  '(a+)+',
  '(a|a)+',
  '(a+)+b',
  '(\\w+\\s?)+$',
  '^(\\d+)*$',
  `${'a?'.repeat(40)}${'a'.repeat(40)}`,
  '.*a.*b',
  '(a|ab)*c',
];

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
    `${'a?'.repeat(40)}${'a'.repeat(40)}`,
    'a?a?a?aaa',
    '(a|a)+',
    '(a+)+b',
    '(\\w+\\s?)+$',
    '^(a|b|ab)*c$',
    '\\d*\\d*x',
    'x\\s?\\s?\\s?y',
    '(.*){1,32}x',
  ])('refuses the catastrophic pattern %s', (pattern) => {
    expect(checkRegexSafety(pattern)).not.toBeNull();
  });

  it('refuses each bad shape at save, at the path of its condition', async () => {
    const admin = await registerOrganization('Regex Guard Org');
    for (const pattern of BAD_SHAPES) {
      const response = await api('POST', '/api/rules', {
        token: admin.access_token,
        body: {
          name: 'Guarded',
          severity: 'low',
          condition: {
            all: [
              { field: 'type', op: 'eq', value: 'wire' },
              { field: 'counterparty', op: 'matches', value: pattern },
            ],
          },
        },
      });
      expect(response.status, pattern).toBe(400);
      const problem = await response.json<{ errors: { path: string; message: string }[] }>();
      expect(
        problem.errors.map((e) => e.path),
        pattern,
      ).toEqual(['condition.all.1.value']);
    }
  });

  it('evaluates an accepted pattern on hostile input in linear time: no backtracking engine runs it', () => {
    const started = Date.now();
    expect(matches('^\\d+(\\.\\d+)*$', `${'1.'.repeat(20_000)}x`)).toBe(false);
    // A backtracking engine retries these at every start position: quadratic, minutes on 200,000 characters.
    expect(matches('.*offshore.*', 'a'.repeat(200_000))).toBe(false);
    expect(matches('\\s+$', `${' '.repeat(200_000)}x`)).toBe(false);
    expect(matches('\\s*cash\\s*x', `cash${' '.repeat(200_000)}`)).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('finds matches anywhere, with the meaning of the canonical source', () => {
    const cases: [string, string, boolean][] = [
      ['\\s*$', 'ends in spaces   ', true],
      ['^INV-\\d{4}$', 'INV-2026', true],
      ['^INV-\\d{4}$', 'INV-20261', false],
      ['^(?:acme (ltd|llc))$', 'acme llc', true],
      ['^[Aa][Cc][Mm][Ee] (ltd|llc)$', 'ACME ltd', true],
      ['(ab|cd)+e', 'xxcdabe', true],
      ['a{2,3}b', 'aab', true],
      ['a{2,3}b', 'ab', false],
      ['^$', '', true],
      ['[^0-9]', '123', false],
    ];
    for (const [pattern, text, expected] of cases) {
      expect(matches(pattern, text), `${pattern} on ${text}`).toBe(expected);
      expect(new RegExp(portableRegex(pattern).source, 'su').test(text), `${pattern} on ${text}`).toBe(expected);
    }
  });
});
