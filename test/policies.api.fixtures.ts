import { strToU8, zipSync } from 'fflate';
import { PDFDocument, PDFHexString, StandardFonts } from 'pdf-lib';
import { api, apiJson } from './helpers';

type PolicyForm = {
  file: string | Uint8Array;
  fileName: string;
  type?: string;
  name?: string;
  framework?: string;
  policy_id?: string;
};

/** The multipart body a browser or `curl -F` sends; fetch sets the boundary content type itself. */
function policyForm(form: PolicyForm): FormData {
  const data = new FormData();
  const content = typeof form.file === 'string' ? form.file : new Uint8Array(form.file);
  data.append('file', new Blob([content], { type: form.type ?? '' }), form.fileName);
  data.append('name', form.name ?? 'AML and Cash Handling');
  if (form.framework !== undefined) data.append('framework', form.framework);
  if (form.policy_id !== undefined) data.append('policy_id', form.policy_id);
  return data;
}

export function postPolicy(token: string, form: PolicyForm): Promise<Response> {
  return api('POST', '/api/policies', { token, rawBody: policyForm(form) });
}

export function uploadPolicyJson(token: string, form: PolicyForm) {
  return apiJson('POST', '/api/policies', 201, { token, rawBody: policyForm(form) });
}

/** Markdown typeset as a PDF with a text layer: headings without their `#`, long lines wrapped, several pages. */
export async function pdfOf(markdown: string): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  let page = pdf.addPage();
  let y = 800;
  for (const line of markdown.split('\n').flatMap((text) => wrap(text.replace(/^#+\s*/, ''), 95))) {
    if (y < 50) {
      page = pdf.addPage();
      y = 800;
    }
    if (line) page.drawText(line, { x: 40, y, size: 9, font });
    y -= line ? 12 : 6;
  }
  return pdf.save();
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  return [...lines, line];
}

/** A PDF with a page and no text at all: what a scanner without OCR produces. */
export async function imageOnlyPdf(): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  pdf.addPage();
  return pdf.save();
}

/** A PDF whose trailer declares the standard security handler with a user password we do not have. */
export async function encryptedPdf(): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  pdf.addPage().drawText('Confidential policy', { x: 50, y: 700, size: 12, font });
  pdf.context.trailerInfo.Encrypt = pdf.context.register(
    pdf.context.obj({
      Filter: 'Standard',
      V: 1,
      R: 2,
      Length: 40,
      P: -4,
      O: PDFHexString.of('00'.repeat(32)),
      U: PDFHexString.of('11'.repeat(32)),
    }),
  );
  pdf.context.trailerInfo.ID = pdf.context.obj([PDFHexString.of('ab'.repeat(16)), PDFHexString.of('ab'.repeat(16))]);
  return pdf.save({ useObjectStreams: false });
}

/** A minimal DOCX package: one paragraph per line of `text`. */
export function docxOf(text: string): Uint8Array {
  const escapeXml = (line: string) => line.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const paragraphs = text
    .split('\n')
    .map((line) => `<w:p><w:r><w:t xml:space="preserve">${escapeXml(line)}</w:t></w:r></w:p>`)
    .join('');
  return zipSync({
    '[Content_Types].xml':
      strToU8(`<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
      <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>
      <Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`),
    '_rels/.rels':
      strToU8(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
      <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`),
    'word/document.xml': strToU8(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${paragraphs}</w:body></w:document>`,
    ),
  });
}

/** The OLE compound-file header followed by a directory entry name in UTF-16, as Office writes it. */
export function oleFile(streamName: string): Uint8Array {
  const bytes = new Uint8Array(1536);
  bytes.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], 0);
  bytes.set(
    Array.from(streamName).flatMap((char) => [char.charCodeAt(0), 0]),
    1024,
  );
  return bytes;
}

/** How Office saves a password-protected DOCX: an OLE file holding an EncryptionInfo stream. */
export function passwordProtectedDocx(): Uint8Array {
  return oleFile('EncryptionInfo');
}
