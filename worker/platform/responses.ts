import { z } from '@hono/zod-openapi';

export const problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  request_id: z.string(),
}).openapi('Problem');

const problemContent = { 'application/problem+json': { schema: problem } };

/** The error responses every authenticated route can give, for the OpenAPI document. */
export const problemResponses = {
  400: { description: 'Malformed JSON or failed validation', content: problemContent },
  401: { description: 'Missing, expired, tampered or revoked credentials', content: problemContent },
  403: { description: 'The role lacks the permission', content: problemContent },
  404: { description: 'Not found (also for resources of another organization)', content: problemContent },
} as const;

/** A further problem+json response for the OpenAPI document (402, 409, 429...). */
export function problemOf(description: string) {
  return { description, content: problemContent };
}

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { content: { 'application/json': { schema } }, required: true };
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}
