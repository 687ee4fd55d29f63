import { ApiError } from '../platform/errors';

/** The original file of a policy version, as uploaded. */
export type PolicyFile = { bytes: Uint8Array<ArrayBuffer>; fileName: string; contentType: string; sha256: string };

/** One object per version; the sha256 in the key makes the object's content evident from its name. */
export function policyObjectKey(orgId: string, policyId: string, version: number, sha256: string): string {
  return `orgs/${orgId}/policies/${policyId}/v${version}/${sha256}`;
}

export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** R2 checks the bytes against the sha256 it is given, so a damaged transfer is refused rather than stored. */
export async function putPolicyFile(bucket: R2Bucket, key: string, file: PolicyFile): Promise<void> {
  await bucket.put(key, file.bytes, {
    sha256: file.sha256,
    httpMetadata: { contentType: file.contentType },
    customMetadata: { sha256: file.sha256, file_name: file.fileName },
  });
}

export async function deletePolicyFile(bucket: R2Bucket, key: string): Promise<void> {
  await bucket.delete(key);
}

export async function getPolicyFile(bucket: R2Bucket, key: string): Promise<R2ObjectBody> {
  const object = await bucket.get(key);
  if (!object) throw new ApiError('not_found', 'The original file of this policy version is no longer stored.');
  return object;
}
