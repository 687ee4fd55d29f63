import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';

const keys = new Map<string, Promise<CryptoKey>>();

function sourceKey(keyBase64: string): Promise<CryptoKey> {
  let key = keys.get(keyBase64);
  if (!key) {
    const raw = Uint8Array.from(atob(keyBase64), (ch) => ch.charCodeAt(0));
    key = crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
    keys.set(keyBase64, key);
  }
  return key;
}

/** A new signing secret: 32 random bytes, hex, with a prefix that says what it is. */
export function generateSigningSecret(): string {
  return `whsec_${bytesToHex(randomBytes(32))}`;
}

/**
 * AES-GCM under SOURCE_SECRET_KEY, bound to the source id as associated data so a ciphertext
 * copied onto another source does not decrypt. Stored as `v1.<iv>.<ciphertext>` (hex).
 */
export async function encryptSecret(keyBase64: string, sourceId: string, secret: string): Promise<string> {
  const iv = randomBytes(12);
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(sourceId) },
    await sourceKey(keyBase64),
    new TextEncoder().encode(secret),
  );
  return `v1.${bytesToHex(iv)}.${bytesToHex(new Uint8Array(sealed))}`;
}

export async function decryptSecret(keyBase64: string, sourceId: string, stored: string): Promise<string> {
  const [version, iv, sealed] = stored.split('.');
  if (version !== 'v1' || !iv || !sealed) throw new Error('unknown secret ciphertext format');
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: hexToBytes(iv), additionalData: new TextEncoder().encode(sourceId) },
    await sourceKey(keyBase64),
    hexToBytes(sealed),
  );
  return new TextDecoder().decode(plain);
}
