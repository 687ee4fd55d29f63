import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { type core, ZodError } from 'zod';
import { databaseCode, databaseUnavailable } from './database-errors';
import { log } from './log';

const STATUS = {
  bad_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  payment_required: 402,
  feature_unavailable: 402,
  checkout_required: 402,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  too_many_requests: 429,
  internal: 500,
  service_unavailable: 503,
} as const;

type ErrorCode = keyof typeof STATUS;
export type FieldError = { path: string; message: string };

const TITLES: Record<ErrorCode, string> = {
  bad_request: 'Bad request',
  validation_failed: 'Validation failed',
  unauthorized: 'Unauthorized',
  payment_required: 'Plan limit reached',
  feature_unavailable: 'Not included in your plan',
  checkout_required: 'Payment required',
  forbidden: 'Forbidden',
  not_found: 'Not found',
  conflict: 'Conflict',
  payload_too_large: 'Payload too large',
  unsupported_media_type: 'Unsupported media type',
  unprocessable: 'Unprocessable content',
  too_many_requests: 'Too many requests',
  internal: 'Internal server error',
  service_unavailable: 'Service unavailable',
};

/** The one error type. Routes throw it; `problemResponse` renders it as RFC 9457 problem+json. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    /** Extra members of the problem object, e.g. `errors`, or `limit`/`used`/`plan` for 402. */
    readonly extensions: Record<string, unknown> = {},
    /** Response headers, e.g. Retry-After for 429. */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.status = STATUS[code];
  }
}

export function validationError(issues: readonly core.$ZodIssue[], prefix = ''): ApiError {
  // An unknown field is reported at its own path, so a client sees exactly which field to drop.
  const errors = issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: joinPath(prefix, [...issue.path, key]), message: 'Unknown field.' }))
      : [{ path: joinPath(prefix, issue.path), message: issue.message }],
  );
  return new ApiError('validation_failed', 'The request has invalid fields.', { errors });
}

/** Dotted paths with numeric indexes: `condition.all.2.value`. */
export function joinPath(prefix: string, path: readonly PropertyKey[]): string {
  return [prefix, ...path.map(String)].filter(Boolean).join('.');
}

export function notFound(what: string): ApiError {
  return new ApiError('not_found', `${what} was not found.`);
}

export function problemResponse(c: Context, error: ApiError): Response {
  const body = {
    type: `https://nitilens.dev/problems/${error.code.replaceAll('_', '-')}`,
    title: TITLES[error.code],
    status: error.status,
    detail: error.detail,
    ...error.extensions,
    request_id: c.get('requestId'),
  };
  return new Response(JSON.stringify(body), {
    status: error.status,
    headers: { 'content-type': 'application/problem+json', ...error.headers },
  });
}

/** The app's onError: everything thrown becomes problem+json, never a stack trace. */
export function handleError(error: unknown, c: Context): Response {
  return problemResponse(c, toApiError(error, c));
}

function toApiError(error: unknown, c: Context): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ZodError) return validationError(error.issues);
  if (error instanceof HTTPException) return fromHttpException(error);
  const unavailable = databaseUnavailable(error);
  if (unavailable) {
    log('warn', 'database unavailable', { request_id: c.get('requestId'), detail: unavailable.detail });
    return unavailable;
  }
  log('error', 'unhandled error', {
    request_id: c.get('requestId'),
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    // Drizzle wraps the database's error: its code and message say what actually failed.
    code: databaseCode(error),
    cause: error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined,
    stack: error instanceof Error ? error.stack : undefined,
  });
  return new ApiError('internal', 'An unexpected error occurred. Quote the request id when reporting it.');
}

function fromHttpException(error: HTTPException): ApiError {
  if (error.status === 413) return new ApiError('payload_too_large', 'The request body is too large.');
  if (error.status === 400) return new ApiError('bad_request', error.message || 'Malformed request.');
  if (error.status === 401) return new ApiError('unauthorized', error.message || 'Unauthorized.');
  const code = (Object.keys(STATUS) as ErrorCode[]).find((key) => STATUS[key] === error.status) ?? 'internal';
  return new ApiError(code, error.message || TITLES[code]);
}
