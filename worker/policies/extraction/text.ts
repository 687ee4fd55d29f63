import { docxText, openDocx } from './docx';
import { PolicyFileError } from './file-error';
import { readPdfText } from './pdf';

export type PolicyFormat = 'pdf' | 'docx' | 'markdown' | 'text';

interface PolicyText {
  text: string;
  format: PolicyFormat;
}

const ACCEPTED = 'Upload a PDF, DOCX, Markdown or plain-text file.';

const PDF_MAGIC = [0x25, 0x50, 0x44, 0x46, 0x2d]; // %PDF-
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const OLE_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/** Signatures of files that are certainly not policy documents, whatever their name says. */
const FOREIGN_SIGNATURES: { kind: string; magic: number[] }[] = [
  { kind: 'a PNG image', magic: [0x89, 0x50, 0x4e, 0x47] },
  { kind: 'a JPEG image', magic: [0xff, 0xd8, 0xff] },
  { kind: 'a GIF image', magic: [0x47, 0x49, 0x46, 0x38] },
  { kind: 'a TIFF image', magic: [0x49, 0x49, 0x2a, 0x00] },
  { kind: 'a TIFF image', magic: [0x4d, 0x4d, 0x00, 0x2a] },
  { kind: 'a WebP or RIFF media file', magic: [0x52, 0x49, 0x46, 0x46] },
  { kind: 'a Windows executable', magic: [0x4d, 0x5a] },
  { kind: 'an ELF executable', magic: [0x7f, 0x45, 0x4c, 0x46] },
  { kind: 'a gzip archive', magic: [0x1f, 0x8b] },
  { kind: 'a 7-Zip archive', magic: [0x37, 0x7a, 0xbc, 0xaf] },
  { kind: 'a RAR archive', magic: [0x52, 0x61, 0x72, 0x21] },
  { kind: 'an RTF document', magic: [0x7b, 0x5c, 0x72, 0x74, 0x66] },
];

const EXTENSIONS: Record<string, PolicyFormat> = {
  pdf: 'pdf',
  docx: 'docx',
  md: 'markdown',
  markdown: 'markdown',
  txt: 'text',
  text: 'text',
};
const CONTENT_TYPES: Record<string, PolicyFormat> = {
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'text/plain': 'text',
};

/**
 * The text of an uploaded policy. The bytes decide the format first (a renamed file is read for what it
 * is); the name, then the content type, decide only for text. Throws PolicyFileError.
 */
export async function extractPolicyText(
  bytes: Uint8Array,
  fileName: string,
  contentType?: string,
): Promise<PolicyText> {
  const claimed = claimedFormat(fileName, contentType);
  const format = detectFormat(bytes, claimed);
  const text = normalizeLineBreaks(await readText(bytes, format, claimed));
  if (!text) throw new PolicyFileError('corrupt', 'The file contains no text.');
  if (isGarbled(text))
    throw new PolicyFileError('corrupt', 'The file decodes to garbled text; it is damaged or not a text document.');
  return { text, format };
}

function claimedFormat(fileName: string, contentType?: string): PolicyFormat | undefined {
  const extension = /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase();
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  return (extension && EXTENSIONS[extension]) || (mediaType && CONTENT_TYPES[mediaType]) || undefined;
}

function detectFormat(bytes: Uint8Array, claimed: PolicyFormat | undefined): PolicyFormat {
  if (startsWith(bytes, PDF_MAGIC)) return 'pdf';
  if (startsWith(bytes, ZIP_MAGIC)) return 'docx';
  if (startsWith(bytes, OLE_MAGIC)) throw compoundFileError(bytes, claimed);
  const foreign = FOREIGN_SIGNATURES.find(({ magic }) => startsWith(bytes, magic));
  if (foreign) throw new PolicyFileError('unsupported', `The file is ${foreign.kind}. ${ACCEPTED}`);
  if (claimed === 'pdf')
    throw new PolicyFileError('corrupt', 'The file is named as a PDF but does not start with a PDF header.');
  if (claimed === 'docx') throw new PolicyFileError('corrupt', 'The file is named as a DOCX but is not a zip archive.');
  if (!claimed) throw new PolicyFileError('unsupported', `The file type is not supported. ${ACCEPTED}`);
  return claimed;
}

/**
 * Office saves a password-protected DOCX inside an OLE compound file with an EncryptionInfo stream;
 * any other compound file is a legacy binary format (.doc, .xls).
 */
function compoundFileError(bytes: Uint8Array, claimed: PolicyFormat | undefined): PolicyFileError {
  if (claimed === 'docx' || containsUtf16(bytes, 'EncryptionInfo')) {
    return new PolicyFileError('encrypted', 'The DOCX is password-protected. Upload a copy without a password.');
  }
  return new PolicyFileError(
    'unsupported',
    `The file is a legacy Office document (.doc or .xls). Save it as DOCX or PDF. ${ACCEPTED}`,
  );
}

async function readText(bytes: Uint8Array, format: PolicyFormat, claimed: PolicyFormat | undefined): Promise<string> {
  if (format === 'pdf') return readPdfText(bytes);
  if (format === 'docx') {
    const parts = openDocx(bytes);
    if (parts) return docxText(parts);
    if (claimed === 'docx') throw new PolicyFileError('corrupt', 'The DOCX has no word/document.xml part.');
    throw new PolicyFileError('unsupported', `The file is a zip archive, not a Word document. ${ACCEPTED}`);
  }
  return decodePlainText(bytes);
}

/** UTF-8 (the common case), UTF-16 when a byte-order mark says so, else Windows-1252 as legacy editors write it. */
function decodePlainText(bytes: Uint8Array): string {
  if (startsWith(bytes, [0xff, 0xfe])) return new TextDecoder('utf-16le').decode(bytes);
  if (startsWith(bytes, [0xfe, 0xff])) return new TextDecoder('utf-16be').decode(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

function normalizeLineBreaks(text: string): string {
  return text.replace(/\r\n?|\f/g, '\n').trim();
}

/** Control characters, replacement characters and private-use glyphs: what binary noise or a font without a Unicode map yields. */
function isGarbled(text: string): boolean {
  const visible = text.replace(/\s/g, '');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what marks a garbled text layer
  const unreadable = visible.match(/[\u0000-\u001f\u007f-\u009f\ufffd\ue000-\uf8ff]/g)?.length ?? 0;
  return unreadable / visible.length > 0.05;
}

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((byte, index) => bytes[index] === byte);
}

function containsUtf16(bytes: Uint8Array, ascii: string): boolean {
  // Windows-1252 maps every byte to one character, so a byte pattern becomes a substring.
  const utf16 = Array.from(ascii, (char) => `${char}\u0000`).join('');
  return new TextDecoder('windows-1252').decode(bytes).includes(utf16);
}
