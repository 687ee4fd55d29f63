import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import type { Env } from '../env';
import { ApiError } from './errors';
import { ROLES, type Role } from './permissions';

export const ACCESS_TOKEN_SECONDS = 15 * 60;
export const REFRESH_TOKEN_SECONDS = 7 * 24 * 60 * 60;
const ALGORITHM = 'HS256';

type AccessClaims = { sub: string; org: string; role: Role; jti: string };

type SigningKey = { kid: string; key: Uint8Array };

/** The key id is derived from the secret, so rotating JWT_SECRET changes it without extra config. */
export function signingKey(secret: string): SigningKey {
  const key = new TextEncoder().encode(secret);
  return { kid: bytesToHex(sha256(key)).slice(0, 16), key };
}

function verificationKeys(env: Env): SigningKey[] {
  const secrets = [env.JWT_SECRET, env.JWT_PREVIOUS_SECRET].filter((s): s is string => Boolean(s));
  return secrets.map(signingKey);
}

export async function issueAccessToken(env: Env, claims: Omit<AccessClaims, 'jti'>): Promise<string> {
  const { kid, key } = signingKey(env.JWT_SECRET);
  return new SignJWT({ org: claims.org, role: claims.role })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT', kid })
    .setSubject(claims.sub)
    .setJti(crypto.randomUUID())
    .setIssuer(env.JWT_ISSUER)
    .setAudience(env.JWT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ACCESS_TOKEN_SECONDS}s`)
    .sign(key);
}

const invalidToken = () => new ApiError('unauthorized', 'The access token is missing, expired or invalid.');

/** Verifies algorithm (pinned), key id, signature, issuer, audience, expiry and claim shapes. */
export async function verifyAccessToken(env: Env, token: string): Promise<AccessClaims> {
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    throw invalidToken();
  }
  const key = verificationKeys(env).find((candidate) => candidate.kid === kid);
  if (!key) throw invalidToken();
  try {
    const { payload } = await jwtVerify(token, key.key, {
      algorithms: [ALGORITHM],
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      requiredClaims: ['sub', 'org', 'role', 'jti', 'iat', 'exp'],
    });
    const { sub, org, role, jti } = payload;
    if (typeof sub !== 'string' || typeof org !== 'string' || typeof jti !== 'string') throw invalidToken();
    if (!ROLES.includes(role as Role)) throw invalidToken();
    return { sub, org, role: role as Role, jti };
  } catch {
    throw invalidToken();
  }
}

/** Refresh tokens are opaque; only their SHA-256 is stored. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = bytesToHex(randomBytes(32));
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return bytesToHex(sha256(new TextEncoder().encode(token)));
}
