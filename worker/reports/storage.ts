/** One object per report; the organization in the key keeps each tenant's files apart. */
export function reportObjectKey(orgId: string, reportId: string, fileName: string): string {
  return `orgs/${orgId}/reports/${reportId}/${fileName}`;
}

export function reportFileName(row: { type: string; format: string; rangeFrom: Date; rangeTo: Date }): string {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  return `${row.type.replaceAll('_', '-')}-${day(row.rangeFrom)}-to-${day(row.rangeTo)}.${row.format}`;
}

// R2 parts must be at least 5 MiB (all but the last) and of one size; 8 MiB keeps ~60 parts for 1M rows.
const PART_BYTES = 8 * 1024 * 1024;

export type StoredFile = { size: number; sha256: string };

/**
 * Writes a file of unknown length to R2 as it is produced: text is encoded into one part-sized
 * buffer at a time, and each full buffer goes up as a multipart part. At most one part is held in
 * memory, so a 1M-row export costs the same memory as a small one. The SHA-256 is computed on the way.
 */
export class ReportFileWriter {
  private readonly encoder = new TextEncoder();
  // workerd's native streaming SHA-256: hashing 275 MB in JavaScript cost seconds.
  private readonly digest = new (crypto as unknown as { DigestStream: typeof DigestStream }).DigestStream('SHA-256');
  private readonly hash = this.digest.getWriter();
  private buffer = new Uint8Array(PART_BYTES);
  private filled = 0;
  private size = 0;
  private upload: R2MultipartUpload | null = null;
  private readonly parts: R2UploadedPart[] = [];

  constructor(
    private readonly bucket: R2Bucket,
    private readonly key: string,
    private readonly contentType: string,
  ) {}

  async write(text: string): Promise<void> {
    await this.writeBytes(this.encoder.encode(text));
  }

  async writeBytes(bytes: Uint8Array): Promise<void> {
    await this.hash.write(bytes);
    this.size += bytes.length;
    let offset = 0;
    while (offset < bytes.length) {
      const take = Math.min(PART_BYTES - this.filled, bytes.length - offset);
      this.buffer.set(bytes.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === PART_BYTES) await this.flushPart();
    }
  }

  private async flushPart(): Promise<void> {
    this.upload ??= await this.bucket.createMultipartUpload(this.key, {
      httpMetadata: { contentType: this.contentType },
    });
    this.parts.push(await this.upload.uploadPart(this.parts.length + 1, this.buffer.slice(0, this.filled)));
    this.filled = 0;
  }

  /** Stores what is left; a file smaller than one part is one plain put. */
  async finish(): Promise<StoredFile> {
    await this.hash.close();
    const digest = Array.from(new Uint8Array(await this.digest.digest), (b) => b.toString(16).padStart(2, '0')).join(
      '',
    );
    if (this.upload === null) {
      await this.bucket.put(this.key, this.buffer.slice(0, this.filled), {
        httpMetadata: { contentType: this.contentType },
        customMetadata: { sha256: digest },
      });
    } else {
      if (this.filled > 0) await this.flushPart();
      await this.upload.complete(this.parts);
    }
    this.buffer = new Uint8Array(0);
    return { size: this.size, sha256: digest };
  }

  /** Gives up a half-written file: the parts uploaded so far are discarded. */
  async abort(): Promise<void> {
    await this.upload?.abort().catch(() => undefined);
  }
}
