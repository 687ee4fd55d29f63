import { z } from '@hono/zod-openapi';
import type { FieldError } from '../platform/errors';
import { joinPath } from '../platform/errors';
import { checkAmount } from './amount';
import { ISO_COUNTRY_CODES } from '../platform/countries';
import { isRfc3339WithOffset } from '../platform/timestamps';

const MAX_ATTRIBUTES = 64;
const MAX_TEXT = 256;

// Postgres text and jsonb cannot hold U+0000: refuse it per row instead of failing the batch.
const noNul = (value: string) => !value.includes('\u0000');
const text = (max = MAX_TEXT) =>
  z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`).refine(noNul, 'must not contain NUL characters');
const optionalText = () => text().nullish();
const country = () => z.string().refine((code) => ISO_COUNTRY_CODES.has(code), 'must be an ISO 3166-1 alpha-2 country code such as US').nullish();

const amount = z.union([z.string(), z.number()], 'must be a number or a decimal string')
  .transform((value, ctx) => {
    // A JSON number reaches here only when it was exactly representable (see parseExactJson).
    const checked = checkAmount(typeof value === 'number' ? String(value) : value);
    if ('error' in checked) {
      ctx.addIssue({ code: 'custom', message: checked.error });
      return z.NEVER;
    }
    return checked.amount;
  });

const attributes = z.record(z.string(), z.unknown(), 'must be a JSON object')
  .refine((value) => Object.keys(value).length <= MAX_ATTRIBUTES, `must have at most ${MAX_ATTRIBUTES} keys`)
  .refine((value) => !JSON.stringify(value).includes('\\u0000'), 'must not contain NUL characters');

/** Contract section 4: a transaction as pushed or uploaded. Unknown keys are refused, never dropped. */
const canonicalTransaction = z.strictObject({
  id: text(128),
  occurred_at: z.string().refine(isRfc3339WithOffset,
    'must be an RFC 3339 timestamp with an offset, e.g. 2026-03-01T09:30:00Z (a source mapping can supply the time zone of naive timestamps)'),
  amount,
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be 3 upper-case letters (ISO 4217), e.g. USD'),
  account: text(),
  counterparty: optionalText(),
  type: optionalText(),
  country: country(),
  counterparty_country: country(),
  channel: optionalText(),
  attributes: attributes.optional(),
});

export type CanonicalTransaction = {
  id: string;
  occurred_at: string;
  amount: string;
  currency: string;
  account: string;
  counterparty: string | null;
  type: string | null;
  country: string | null;
  counterparty_country: string | null;
  channel: string | null;
  attributes: Record<string, unknown>;
};

/** On failure, `id` is the record's id when it had a usable one, so a caller can still name the record. */
export type Validated = { ok: true; transaction: CanonicalTransaction } | { ok: false; errors: FieldError[]; id?: string };

export function validateTransaction(candidate: unknown): Validated {
  const result = canonicalTransaction.safeParse(candidate);
  if (!result.success) {
    const errors = result.error.issues.map((issue) => ({ path: joinPath('', issue.path), message: issue.message }));
    const id = (candidate as { id?: unknown } | null)?.id;
    return typeof id === 'string' ? { ok: false, errors, id } : { ok: false, errors };
  }
  const row = result.data;
  return {
    ok: true,
    transaction: {
      id: row.id,
      occurred_at: row.occurred_at,
      amount: row.amount,
      currency: row.currency,
      account: row.account,
      counterparty: row.counterparty ?? null,
      type: row.type ?? null,
      country: row.country ?? null,
      counterparty_country: row.counterparty_country ?? null,
      channel: row.channel ?? null,
      attributes: row.attributes ?? {},
    },
  };
}
