import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';

/**
 * The keys secrets are sealed with: `current` (SOURCE_SECRET_KEY) seals; `previous`
 * (SOURCE_SECRET_KEY_PREVIOUS, during a rotation) still opens what the old key sealed.
 */
export type SecretKeys = { current: string; previous?: string | undefined };

export function secretKeysOf(env: { SOURCE_SECRET_KEY: string; SOURCE_SECRET_KEY_PREVIOUS?: string | undefined }) {
  return { current: env.SOURCE_SECRET_KEY, previous: env.SOURCE_SECRET_KEY_PREVIOUS || undefined };
}

/** A key's id: the first 8 hex digits of SHA-256 of the raw key; it names the key without revealing it. */
export function keyId(keyBase64: string): string {
  return bytesToHex(sha256(Uint8Array.from(atob(keyBase64), (ch) => ch.charCodeAt(0)))).slice(0, 8);
}

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
 * copied onto another source does not decrypt. Stored as `v2.<key id>.<iv>.<ciphertext>` (hex),
 * so that after a rotation each secret names the key that opens it.
 */
export async function encryptSecret(keys: SecretKeys, sourceId: string, secret: string): Promise<string> {
  const iv = randomBytes(12);
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(sourceId) },
    await sourceKey(keys.current),
    new TextEncoder().encode(secret),
  );
  return `v2.${keyId(keys.current)}.${bytesToHex(iv)}.${bytesToHex(new Uint8Array(sealed))}`;
}

/**
 * Opens a `v2` secret with the key its id names (current or previous); a `v1` secret (sealed
 * before key ids) with whichever of the two opens it.
 */
export async function decryptSecret(keys: SecretKeys, sourceId: string, stored: string): Promise<string> {
  const parts = stored.split('.');
  const candidates = [keys.current, ...(keys.previous ? [keys.previous] : [])];
  let tried: string[];
  let iv: string | undefined;
  let sealed: string | undefined;
  if (parts[0] === 'v2' && parts.length === 4) {
    tried = candidates.filter((key) => keyId(key) === parts[1]);
    if (tried.length === 0) throw new Error(`secret sealed with key ${parts[1]}, which is neither key configured`);
    [, , iv, sealed] = parts;
  } else if (parts[0] === 'v1' && parts.length === 3) {
    tried = candidates;
    [, iv, sealed] = parts;
  } else throw new Error('unknown secret ciphertext format');
  let failure: unknown;
  for (const key of tried) {
    try {
      const plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: hexToBytes(iv!), additionalData: new TextEncoder().encode(sourceId) },
        await sourceKey(key),
        hexToBytes(sealed!),
      );
      return new TextDecoder().decode(plain);
    } catch (error) {
      failure = error;
    }
  }
  throw failure;
}
