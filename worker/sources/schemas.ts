import { z } from '@hono/zod-openapi';
import { fieldErrors } from '../platform/responses';
import { CANONICAL_FIELDS, sourceMapping } from './mapping';

export const createSourceBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    mapping: sourceMapping.optional(),
  })
  .openapi('CreateSourceRequest');

export const updateSourceBody = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    mapping: sourceMapping.optional(),
    is_active: z.boolean().optional(),
  })
  .openapi('UpdateSourceRequest');

export const sourceView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    mapping: sourceMapping,
    is_active: z.boolean(),
    webhook_path: z.string(),
    previous_secret_expires_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Source');

export const sourceWithSecret = z
  .object({
    id: z.uuid(),
    name: z.string(),
    signing_secret: z.string().openapi({ description: 'Shown once: store it in the ERP now.' }),
  })
  .openapi('SourceSecret');

export const previewBody = z
  .object({
    sample: z.union([
      z.string().max(1_000_000).openapi({ description: 'CSV text with a header row' }),
      z.record(z.string(), z.unknown()),
      z.array(z.record(z.string(), z.unknown())).max(100),
    ]),
    mapping: sourceMapping.optional().openapi({ description: 'A mapping to try instead of the saved one' }),
  })
  .openapi('PreviewRequest');

const canonicalRow = z.object(
  Object.fromEntries([...CANONICAL_FIELDS, 'attributes'].map((field) => [field, z.unknown()])),
);

export const previewView = z
  .object({
    rows: z.array(
      z.object({
        row: z.number().int(),
        transaction: canonicalRow.nullable(),
        errors: fieldErrors,
      }),
    ),
  })
  .openapi('MappingPreview');
