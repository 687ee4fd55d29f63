import { scryptAsync } from '@noble/hashes/scrypt.js';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';

export type ScryptCost = { N: number; r: number; p: number };

/** OWASP's scrypt profile that fits a 128 MB isolate: 16 MiB of memory, five passes. */
const PRODUCTION_COST: ScryptCost = { N: 2 ** 14, r: 8, p: 5 };
/** Only for the test suite (PASSWORD_COST=test), where hundreds of users are registered. */
const TEST_COST: ScryptCost = { N: 2 ** 10, r: 8, p: 1 };

export function passwordCost(setting: string | undefined): ScryptCost {
  return setting === 'test' ? TEST_COST : PRODUCTION_COST;
}

/** `scrypt$N$r$p$salt$hash`: the parameters travel with the hash so they can be raised later. */
export async function hashPassword(password: string, cost: ScryptCost): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password.normalize('NFKC'), salt, { ...cost, dkLen: 32 });
  return ['scrypt', cost.N, cost.r, cost.p, bytesToHex(salt), bytesToHex(hash)].join('$');
}

type PasswordCheck = { valid: boolean; needsRehash: boolean };

export async function verifyPassword(password: string, stored: string, cost: ScryptCost): Promise<PasswordCheck> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return { valid: false, needsRehash: false };
  const storedCost = { N: Number(n), r: Number(r), p: Number(p) };
  const candidate = await scryptAsync(password.normalize('NFKC'), hexToBytes(salt), { ...storedCost, dkLen: 32 });
  const valid = constantTimeEqual(candidate, hexToBytes(hash));
  const needsRehash = storedCost.N < cost.N || storedCost.r < cost.r || storedCost.p < cost.p;
  return { valid, needsRehash: valid && needsRehash };
}

/** Burns the same work as a real check, so an unknown email answers as slowly as a wrong password. */
export async function verifyAgainstNothing(password: string, cost: ScryptCost): Promise<void> {
  await scryptAsync(password, new Uint8Array(16), { ...cost, dkLen: 32 });
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}
