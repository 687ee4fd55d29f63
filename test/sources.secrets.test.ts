import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from '../worker/app';
import { decryptSecret, encryptSecret, keyId } from '../worker/sources/secrets';
import { createSource, registerOrganization, webhookSignature } from './helpers';

const keyA = env.SOURCE_SECRET_KEY;
const keyB = btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, i) => 255 - i)));
const sourceId = crypto.randomUUID();

async function pushWith(
  keys: { SOURCE_SECRET_KEY: string; SOURCE_SECRET_KEY_PREVIOUS?: string },
  source: string,
  secret: string,
) {
  const body = JSON.stringify({
    id: `ROT-${crypto.randomUUID()}`,
    occurred_at: '2026-03-01T09:30:00Z',
    amount: '10.00',
    currency: 'USD',
    account: 'ACC-ROT',
  });
  const request = new Request(`http://nitilens.test/api/ingest/${source}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-nitilens-signature': await webhookSignature(secret, body) },
  });
  return app.fetch(request, { ...env, ...keys }, createExecutionContext());
}

describe('happy', () => {
  it('seals under the current key with its id; after a rotation the previous key still opens old secrets', async () => {
    const sealed = await encryptSecret({ current: keyA }, sourceId, 'whsec_old');
    expect(sealed.startsWith(`v2.${keyId(keyA)}.`)).toBe(true);
    expect(sealed).not.toContain(keyA);
    expect(await decryptSecret({ current: keyB, previous: keyA }, sourceId, sealed)).toBe('whsec_old');
    const resealed = await encryptSecret({ current: keyB, previous: keyA }, sourceId, 'whsec_new');
    expect(resealed.startsWith(`v2.${keyId(keyB)}.`)).toBe(true);
    expect(await decryptSecret({ current: keyB }, sourceId, resealed)).toBe('whsec_new');
  });

  it('a source made before SOURCE_SECRET_KEY was rotated still verifies pushes with SOURCE_SECRET_KEY_PREVIOUS', async () => {
    const org = await registerOrganization('Key Rotation');
    const source = await createSource(org.access_token);
    const rotated = await pushWith(
      { SOURCE_SECRET_KEY: keyB, SOURCE_SECRET_KEY_PREVIOUS: keyA },
      source.id,
      source.signing_secret,
    );
    expect(rotated.status).toBe(200);
    expect(await rotated.json()).toMatchObject({ results: [{ status: 'accepted' }] });
  });
});

describe('sad', () => {
  it('a secret sealed with a key that is no longer configured does not open, and says which key it needs', async () => {
    const sealed = await encryptSecret({ current: keyA }, sourceId, 'whsec_old');
    await expect(decryptSecret({ current: keyB }, sourceId, sealed)).rejects.toThrow(keyId(keyA));
  });

  it('a secret sealed before key ids (v1) opens with either configured key', async () => {
    const v2 = await encryptSecret({ current: keyA }, sourceId, 'whsec_legacy');
    const [, , iv, body] = v2.split('.');
    const v1 = `v1.${iv}.${body}`;
    expect(await decryptSecret({ current: keyB, previous: keyA }, sourceId, v1)).toBe('whsec_legacy');
    await expect(decryptSecret({ current: keyB }, sourceId, v1)).rejects.toThrow();
  });
});
