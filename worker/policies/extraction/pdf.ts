import { extractText, getDocumentProxy } from 'unpdf';
import { PolicyFileError } from './file-error';

type PdfDocument = Awaited<ReturnType<typeof getDocumentProxy>>;

/** Pages read from one PDF, and characters kept of its text: a policy is far smaller than either. */
export const MAX_PDF_PAGES = 1000;
export const MAX_POLICY_TEXT = 5_000_000;

/** The text layer of a PDF, pages separated by a blank line. pdf.js runs inside the Worker itself. */
export async function readPdfText(bytes: Uint8Array): Promise<string> {
  const pdf = await openPdf(bytes);
  try {
    if (pdf.numPages > MAX_PDF_PAGES) {
      throw new PolicyFileError(
        'too_large',
        `The PDF has ${pdf.numPages} pages; at most ${MAX_PDF_PAGES} are read. Split it into smaller documents.`,
      );
    }
    const pages = await pageTexts(pdf);
    const text = pages
      .map((page) => page.trim())
      .filter(Boolean)
      .join('\n\n');
    if (!text) {
      throw new PolicyFileError(
        'no_text_layer',
        `The PDF has ${pdf.numPages} page(s) but no text layer (a scan or an image). Run OCR on it and upload the result.`,
      );
    }
    if (text.length > MAX_POLICY_TEXT) {
      throw new PolicyFileError(
        'too_large',
        `The PDF holds ${text.length.toLocaleString('en')} characters of text; at most ${MAX_POLICY_TEXT.toLocaleString('en')} are read.`,
      );
    }
    return text;
  } finally {
    await pdf.loadingTask.destroy();
  }
}

async function openPdf(bytes: Uint8Array): Promise<PdfDocument> {
  try {
    // pdf.js takes ownership of the buffer it is given, hence the copy; verbosity 0 keeps its warnings out of the logs.
    return await getDocumentProxy(bytes.slice(), { verbosity: 0 });
  } catch (error) {
    // pdf.js raises PasswordException whenever the document needs a password it was not given, whatever the cipher.
    if (errorName(error) === 'PasswordException') {
      throw new PolicyFileError('encrypted', 'The PDF is password-protected. Upload a copy without a password.');
    }
    throw new PolicyFileError('corrupt', 'The PDF is damaged and cannot be read.');
  }
}

async function pageTexts(pdf: PdfDocument): Promise<string[]> {
  try {
    return (await extractText(pdf)).text;
  } catch {
    throw new PolicyFileError('corrupt', 'The PDF opens but its pages are damaged and cannot be read.');
  }
}

function errorName(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'name' in error ? error.name : undefined;
}
