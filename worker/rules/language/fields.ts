/** The transaction columns a pushed transaction fills, named as in the contract and in the transactions table. */
export const PUSHED_FIELDS = [
  'amount',
  'currency',
  'account',
  'counterparty',
  'type',
  'country',
  'counterparty_country',
  'channel',
  'occurred_at',
] as const;

/**
 * The transaction columns a rule may read: those pushed, and `anomaly_score`, which the product
 * derives (contract section 12; absent until the organization's first anomaly model).
 */
export const COLUMN_FIELDS = [...PUSHED_FIELDS, 'anomaly_score'] as const;

export type ColumnField = (typeof COLUMN_FIELDS)[number];

/** A canonical transaction's top-level fields a source mapping can fill: its id and the pushed columns. */
export const CANONICAL_FIELDS = ['id', ...PUSHED_FIELDS] as const;
/** `attributes.<key>`, a dot path into the transaction's attributes object. */
export type AttributeField = `attributes.${string}`;
export type Field = ColumnField | AttributeField;

/** What a field holds, which decides the values it can compare with. */
export type FieldKind = 'numeric' | 'text' | 'instant' | 'json';

// Letters, digits, `_` and `-`; a key with a dot could not be told apart from a nested path.
const ATTRIBUTE_KEY = /^[\p{L}\p{N}_-]{1,64}$/u;
const MAX_ATTRIBUTE_DEPTH = 8;

export function isAttributeField(field: string): field is AttributeField {
  return field.startsWith('attributes.');
}

export function isField(value: string): value is Field {
  if ((COLUMN_FIELDS as readonly string[]).includes(value)) return true;
  if (!isAttributeField(value)) return false;
  const keys = attributeKeys(value);
  return keys.length <= MAX_ATTRIBUTE_DEPTH && keys.every((key) => ATTRIBUTE_KEY.test(key));
}

export function attributeKeys(field: AttributeField): string[] {
  return field.split('.').slice(1);
}

export function fieldKind(field: Field): FieldKind {
  if (isAttributeField(field)) return 'json';
  if (field === 'amount' || field === 'anomaly_score') return 'numeric';
  if (field === 'occurred_at') return 'instant';
  return 'text';
}
