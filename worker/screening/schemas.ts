import { z } from '@hono/zod-openapi';
import { ISO_COUNTRY_CODES } from '../platform/countries';
import { pageQuery } from '../platform/pagination';
import { ENTRY_TYPES } from './parse';

/** The largest list file accepted (the platform body limit leaves room for the multipart envelope). */
export const MAX_LIST_BYTES = 50 * 1024 * 1024;

export const entriesCursor = z.tuple([z.string().max(200)]);

const uploadedFile = z
  .custom<File>((value) => value instanceof File, { message: 'Attach the list as a file part named `file`.' })
  .openapi({
    type: 'string',
    format: 'binary',
    description:
      'CSV with the header id,name,aliases,type,country,program (aliases separated by ;), or FollowTheMoney JSON lines; at most 50 MB.',
  });

export const listUploadForm = z
  .object({
    file: uploadedFile,
    name: z.string().trim().min(1).max(200).optional().openapi({ description: 'Required for a new list.' }),
    list_id: z
      .uuid()
      .optional()
      .openapi({ description: 'Replace the entries of this list as a new version instead of creating a list.' }),
  })
  .openapi('ScreeningListUpload');

export const listUploadView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    version: z.number().int(),
    entries: z.number().int(),
    skipped: z
      .number()
      .int()
      .openapi({ description: 'FollowTheMoney entities that are not persons, organizations or vessels.' }),
    format: z.enum(['csv', 'ftm']),
  })
  .openapi('ScreeningListUploadResult');

export const listView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    version: z.number().int().openapi({ description: 'The current version, the one screened against.' }),
    entries: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('ScreeningList');

export const listDetailView = listView
  .extend({
    versions: z.array(
      z.object({
        version: z.number().int(),
        format: z.string(),
        file_name: z.string().nullable(),
        entries: z.number().int(),
        names: z.number().int(),
        uploaded_at: z.string(),
      }),
    ),
  })
  .openapi('ScreeningListDetail');

export const entryView = z
  .object({
    entry_id: z.string(),
    name: z.string(),
    aliases: z.array(z.string()),
    type: z.enum(ENTRY_TYPES),
    country: z.string().nullable(),
    program: z.string().nullable(),
  })
  .openapi('ScreeningEntry');

export const entriesQuery = pageQuery.extend({
  q: z.string().max(200).optional().openapi({ description: 'Only entries whose name or an alias contains this text.' }),
});

export const searchBody = z
  .strictObject({
    name: z.string().trim().min(1).max(500),
    country: z
      .string()
      .refine((code) => ISO_COUNTRY_CODES.has(code), 'an ISO 3166 alpha-2 country code in upper case')
      .optional(),
    list_ids: z.array(z.uuid()).min(1).max(50).optional(),
    threshold: z.number().gt(0).max(1).optional().openapi({ description: 'Default 0.85.' }),
  })
  .openapi('ScreeningSearchRequest');

export const matchView = z
  .object({
    list_id: z.uuid(),
    list_name: z.string(),
    entry_id: z.string(),
    name: z.string(),
    matched_name: z.string(),
    type: z.string(),
    country: z.string().nullable(),
    program: z.string().nullable(),
    score: z.number(),
    explanation: z.string(),
  })
  .openapi('ScreeningMatch');

export const searchView = z.object({ matches: z.array(matchView) }).openapi('ScreeningSearchResult');
