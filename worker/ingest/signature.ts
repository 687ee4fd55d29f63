import { hexToBytes } from '@noble/hashes/utils.js';
import { ApiError } from '../platform/errors';

export const SIGNATURE_HEADER = 'X-NitiLens-Signature';
/** How far a signature's timestamp may be from now, either way. */
const SIGNATURE_TOLERANCE_SECONDS = 300;

export type SignatureHeader = { timestamp: number; signatures: Uint8Array<ArrayBuffer>[] };

const unauthorized = (detail: string) => new ApiError('unauthorized', detail);

/** `t=<unix seconds>,v1=<hex>` (several v1 entries allowed, as during a secret rotation). */
export function parseSignatureHeader(header: string | undefined, nowSeconds: number): SignatureHeader {
  const parts = (header ?? '').split(',').map((part) => part.trim().split('='));
  const t = parts.find(([key]) => key === 't')?.[1];
  const signatures = parts
    .filter(([key, value]) => key === 'v1' && /^[0-9a-f]{64}$/i.test(value ?? ''))
    .map(([, value]) => hexToBytes(value!.toLowerCase()) as Uint8Array<ArrayBuffer>);
  if (!t || !/^\d{1,12}$/.test(t) || signatures.length === 0) {
    throw unauthorized(
      `The ${SIGNATURE_HEADER} header is missing or malformed; expected t=<unix seconds>,v1=<hex HMAC-SHA256>.`,
    );
  }
  const timestamp = Number(t);
  if (Math.abs(nowSeconds - timestamp) > SIGNATURE_TOLERANCE_SECONDS) {
    throw unauthorized(
      `The signature timestamp is more than ${SIGNATURE_TOLERANCE_SECONDS} seconds from the server's clock; sign each request when sending it.`,
    );
  }
  return { timestamp, signatures };
}

/**
 * True when some v1 signature is HMAC-SHA256(secret, "<t>.<raw body>") for one of the secrets.
 * crypto.subtle.verify compares in constant time.
 */
export async function signatureMatches(
  header: SignatureHeader,
  rawBody: Uint8Array<ArrayBuffer>,
  secrets: string[],
): Promise<boolean> {
  const signed = concat(new TextEncoder().encode(`${header.timestamp}.`), rawBody);
  for (const secret of secrets) {
    const key = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['verify'],
    );
    for (const signature of header.signatures) {
      if (await crypto.subtle.verify('HMAC', key, signature, signed)) return true;
    }
  }
  return false;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
