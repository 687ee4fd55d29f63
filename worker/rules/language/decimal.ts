/**
 * Exact decimals for amounts and numeric rule values: a BigInt coefficient scaled by 10^-scale,
 * always normalized (no trailing fractional zeros), so equal values have equal representations.
 */
export interface Decimal {
  readonly coefficient: bigint;
  readonly scale: number;
}

export const ZERO: Decimal = { coefficient: 0n, scale: 0 };

const DECIMAL_TEXT = /^(-)?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
// JSON doubles never exceed ~1e308; the cap keeps a hostile string from allocating a huge BigInt.
const MAX_EXPONENT = 400;

/** Parses a decimal string or a JavaScript number (through its shortest round-trip text). */
export function parseDecimal(input: string | number): Decimal | null {
  if (typeof input === 'number' && !Number.isFinite(input)) return null;
  const match = DECIMAL_TEXT.exec(String(input));
  if (!match) return null;
  const [, sign, whole = '', fraction = '', exponentText = '0'] = match;
  const exponent = Number(exponentText);
  if (Math.abs(exponent) > MAX_EXPONENT) return null;
  const coefficient = BigInt(whole + fraction) * (sign ? -1n : 1n);
  const scale = fraction.length - exponent;
  if (scale < 0) return { coefficient: coefficient * 10n ** BigInt(-scale), scale: 0 };
  return normalize(coefficient, scale);
}

/** A validated rule number (always finite) as a decimal. */
export function decimalOf(value: number): Decimal {
  const decimal = parseDecimal(value);
  if (!decimal) throw new Error(`rule language: ${value} is not a finite number`);
  return decimal;
}

function normalize(coefficient: bigint, scale: number): Decimal {
  while (scale > 0 && coefficient % 10n === 0n) {
    coefficient /= 10n;
    scale -= 1;
  }
  return { coefficient, scale };
}

function rescaled(value: Decimal, scale: number): bigint {
  return value.coefficient * 10n ** BigInt(scale - value.scale);
}

export function compareDecimals(a: Decimal, b: Decimal): -1 | 0 | 1 {
  const scale = Math.max(a.scale, b.scale);
  const left = rescaled(a, scale);
  const right = rescaled(b, scale);
  return left < right ? -1 : left > right ? 1 : 0;
}

export function addDecimals(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return normalize(rescaled(a, scale) + rescaled(b, scale), scale);
}

export function multiplyDecimal(value: Decimal, factor: bigint): Decimal {
  return normalize(value.coefficient * factor, value.scale);
}

/** value / count (count > 0) rounded half away from zero to `places` decimals, as Postgres' round(numeric, n). */
export function divideRounded(value: Decimal, count: bigint, places: number): Decimal {
  const numerator = value.coefficient * 10n ** BigInt(places);
  const denominator = count * 10n ** BigInt(value.scale);
  const quotient = numerator / denominator;
  const remainder = numerator % denominator;
  const roundsAway = 2n * (remainder < 0n ? -remainder : remainder) >= denominator;
  return normalize(roundsAway ? quotient + (numerator < 0n ? -1n : 1n) : quotient, places);
}

/** Plain text without exponent or trailing zeros, e.g. "0.3", "-12500", the form Postgres' trim_scale prints. */
export function decimalToString(value: Decimal): string {
  const negative = value.coefficient < 0n;
  const digits = (negative ? -value.coefficient : value.coefficient).toString().padStart(value.scale + 1, '0');
  const whole = digits.slice(0, digits.length - value.scale);
  const fraction = digits.slice(digits.length - value.scale);
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** Human form with thousands separators and at least `minFractionDigits` decimals: 12,500.00. */
export function formatDecimal(value: Decimal, minFractionDigits = 0): string {
  const [whole = '', fraction = ''] = decimalToString(value).split('.');
  const negative = whole.startsWith('-');
  const grouped = (negative ? whole.slice(1) : whole).replace(/\B(?=(\d{3})+$)/g, ',');
  const decimals = fraction.padEnd(minFractionDigits, '0');
  return `${negative ? '-' : ''}${grouped}${decimals ? `.${decimals}` : ''}`;
}
