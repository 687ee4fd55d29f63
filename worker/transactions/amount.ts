const DECIMAL = /^(\d+)(?:\.(\d+))?$/;
const JSON_NUMBER = /^(-?)(\d+)(?:\.(\d+))?[eE]([+-]?\d+)$/;
const MAX_SCALE = 4;
/** numeric(20,4): 16 digits before the decimal point. */
const MAX_INTEGER_DIGITS = 16;

/** A number's text in plain positional notation, digit for digit (`1.25e3` -> `1250`); no float is involved. */
function plainDecimal(text: string): string {
  const match = JSON_NUMBER.exec(text);
  if (!match) return text;
  const [, sign, whole, fraction = '', exponentText] = match;
  const digits = whole! + fraction;
  const point = whole!.length + Number(exponentText);
  // A hostile exponent (`1e999999999`) must not build a string of a billion zeros: past these
  // bounds a non-zero amount is already too large or too precise, so a short stand-in says so.
  if (/^0*$/.test(digits)) return `${sign}0`;
  if (point > digits.length + MAX_INTEGER_DIGITS) return `${sign}1${'0'.repeat(MAX_INTEGER_DIGITS)}`;
  if (point < -MAX_SCALE) return `${sign}0.${'0'.repeat(MAX_SCALE)}1`;
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

type AmountCheck = { amount: string } | { error: string };

/**
 * Checks an amount given as decimal text and returns it normalized (`012.50` -> `12.5`).
 * Trailing zeros carry no precision, so `1.50000` is accepted; `1.23456` is not.
 */
export function checkAmount(text: string): AmountCheck {
  const plain = plainDecimal(text.trim());
  if (/^-\d/.test(plain)) return { error: 'must not be negative' };
  const match = DECIMAL.exec(plain);
  if (!match) return { error: 'must be a decimal number such as 12500.00' };
  const whole = match[1]!.replace(/^0+(?=\d)/, '');
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > MAX_SCALE) return { error: `must have at most ${MAX_SCALE} decimal places` };
  if (whole.length > MAX_INTEGER_DIGITS)
    return { error: `must have at most ${MAX_INTEGER_DIGITS} digits before the decimal point` };
  return { amount: fraction ? `${whole}.${fraction}` : whole };
}
