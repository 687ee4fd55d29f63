import { strToU8, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, registerOrganization, type Session } from './helpers';
import { docxOf, postPolicy } from './policies.api.fixtures';

type Problem = { status: number; detail: string; reason?: string };
type Report = {
  accepted: number;
  rejected: number;
  errors: { row: number; errors: { path: string; message: string }[] }[];
};

let org: Session;
beforeAll(async () => {
  org = await registerOrganization('Hostile Uploads Org');
});

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** A DOCX whose document part is `xml` (bytes), stored compressed as Word does. */
function docxWithDocument(xml: Uint8Array): Uint8Array {
  return zipSync({ 'word/document.xml': xml }, { level: 9 });
}

describe('security: policy files', () => {
  it('refuses a DOCX whose document inflates past 20 MB with 413, before inflating it', async () => {
    const bomb = docxWithDocument(new Uint8Array(30 * 1024 * 1024).fill(0x61));
    expect(bomb.length).toBeLessThan(200_000);
    const response = await postPolicy(org.access_token, { file: bomb, fileName: 'bomb.docx', type: DOCX });
    expect(response.status).toBe(413);
    const problem = await response.json<Problem>();
    expect(problem.reason).toBe('too_large');
    expect(problem.detail).toContain('would inflate to 30.0 MB');
  });

  it('refuses a DOCX part that inflates more than 100 times its compressed size', async () => {
    const bomb = docxWithDocument(new Uint8Array(5 * 1024 * 1024).fill(0x20));
    const response = await postPolicy(org.access_token, { file: bomb, fileName: 'ratio.docx', type: DOCX });
    expect(response.status).toBe(413);
    expect((await response.json<Problem>()).detail).toContain('times its compressed size');
  });

  it('reads a hostile document.xml (a million unclosed tags) in linear time', async () => {
    const hostile = docxWithDocument(strToU8(`<w:document><w:body>${'<a'.repeat(400_000)}</w:body></w:document>`));
    const started = Date.now();
    const response = await postPolicy(org.access_token, { file: hostile, fileName: 'hostile.docx', type: DOCX });
    expect([201, 422]).toContain(response.status);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('still reads an ordinary DOCX', async () => {
    const response = await postPolicy(org.access_token, {
      file: docxOf('1. Cash deposits above 10,000 USD must be reported.'),
      fileName: 'policy.docx',
      type: DOCX,
    });
    expect(response.status).toBe(201);
  });
});

describe('security: transaction uploads', () => {
  const good = (id: string) =>
    JSON.stringify({ id, occurred_at: '2026-03-01T09:30:00Z', amount: '10.00', currency: 'EUR', account: 'ACC-1' });

  it('reports an NDJSON line over 1 MB as an error for its row, keeps reading, and stores the rest', async () => {
    const body = `${good('NL-1')}\n{"id":"${'x'.repeat(2 * 1024 * 1024)}"}\n${good('NL-2')}\n`;
    const response = await api('POST', '/api/transactions', {
      token: org.access_token,
      rawBody: body,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(response.status).toBe(200);
    const report = await response.json<Report>();
    expect([report.accepted, report.rejected]).toEqual([2, 1]);
    expect(report.errors[0]!.row).toBe(2);
    expect(report.errors[0]!.errors[0]!.message).toContain('longer than 1,048,576 characters');
  });

  it('reads a 40 MB NDJSON body without a newline in linear time: one refused row, nothing stored', async () => {
    const piece = 'y'.repeat(1024 * 1024);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 40) return controller.close();
        sent++;
        controller.enqueue(new TextEncoder().encode(sent === 1 ? `{"id":"${piece}` : piece));
      },
    });
    const started = Date.now();
    const response = await api('POST', '/api/transactions', {
      token: org.access_token,
      rawBody: body,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(response.status).toBe(200);
    const report = await response.json<Report>();
    expect([report.accepted, report.rejected]).toEqual([0, 1]);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 60_000);

  it('reports a CSV record over 1 MB as an error for its row and stores the others', async () => {
    const header = 'id,occurred_at,amount,currency,account,attributes.memo';
    const body = [
      header,
      'CV-1,2026-03-01T09:30:00Z,1,EUR,ACC-1,short',
      `CV-2,2026-03-01T09:30:00Z,1,EUR,ACC-1,"${'z'.repeat(2 * 1024 * 1024)}"`,
      'CV-3,2026-03-01T09:30:00Z,1,EUR,ACC-1,short',
    ].join('\n');
    const response = await api('POST', '/api/transactions', {
      token: org.access_token,
      rawBody: body,
      headers: { 'content-type': 'text/csv' },
    });
    expect(response.status).toBe(200);
    const report = await response.json<Report>();
    expect([report.accepted, report.rejected]).toEqual([2, 1]);
    expect(JSON.stringify(report.errors)).toContain('longer than 1,048,576 characters');
  });
});
