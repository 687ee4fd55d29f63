import type { z } from '@hono/zod-openapi';
import { csvUploadRecords, recordValidator } from '../transactions/intake';
import type { UploadRecord } from '../transactions/readers';
import type { SourceMapping } from './mapping';
import type { previewBody, previewView } from './schemas';

/** At most this many sample records are read through the mapping. */
const PREVIEW_ROWS = 100;

/** Each sample record read through `mapping`: the canonical transaction it makes, or its errors. Nothing is stored. */
export async function previewMapping(
  mapping: SourceMapping,
  sample: z.infer<typeof previewBody>['sample'],
): Promise<z.infer<typeof previewView>> {
  const validate = recordValidator(mapping);
  const rows: z.infer<typeof previewView>['rows'] = [];
  for await (const record of sampleRecords(sample)) {
    if (rows.length >= PREVIEW_ROWS) break;
    if (record.problem !== undefined) {
      rows.push({ row: record.row, transaction: null, errors: [{ path: '', message: record.problem }] });
      continue;
    }
    const result = validate(record.value);
    rows.push(
      result.ok
        ? { row: record.row, transaction: result.transaction, errors: [] }
        : { row: record.row, transaction: null, errors: result.errors },
    );
  }
  return { rows };
}

/** A pasted CSV (with its header), one JSON object, or an array of them. */
async function* sampleRecords(sample: z.infer<typeof previewBody>['sample']): AsyncGenerator<UploadRecord> {
  if (typeof sample === 'string') {
    yield* csvUploadRecords(
      (async function* () {
        yield sample;
      })(),
      true,
    );
    return;
  }
  for (const [index, value] of (Array.isArray(sample) ? sample : [sample]).entries()) yield { row: index + 1, value };
}
