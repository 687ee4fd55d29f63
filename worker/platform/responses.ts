import { z } from '@hono/zod-openapi';

/** `[{path, message}]`: each offending field, in a problem or in a per-row report. */
export const fieldErrors = z.array(z.object({ path: z.string(), message: z.string() }));

export const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: fieldErrors.optional(),
    request_id: z.string(),
  })
  .openapi('Problem');

const problemContent = { 'application/problem+json': { schema: problem } };

/** The error responses every authenticated route can give, for the OpenAPI document. */
export const problemResponses = {
  400: { description: 'Malformed JSON or failed validation', content: problemContent },
  401: { description: 'Missing, expired, tampered or revoked credentials', content: problemContent },
  403: { description: 'The role lacks the permission', content: problemContent },
  404: { description: 'Not found (also for resources of another organization)', content: problemContent },
  503: { description: 'The database is busy or out of reach; try again after Retry-After', content: problemContent },
} as const;

/** A further problem+json response for the OpenAPI document (402, 409, 429...). */
export function problemOf(description: string) {
  return { description, content: problemContent };
}

/** A resource id in the path: zod rejects a malformed one (400) before a lookup can miss it (404). */
export const idParams = z.object({ id: z.uuid() });

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { content: { 'application/json': { schema } }, required: true };
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}
