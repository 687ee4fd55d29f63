import type { FieldError } from '../../../worker/platform/errors';
import { noteServiceAnswer } from './service-status';
import { type Session, sessionStore } from './session';

export type { FieldError };

/** An RFC 9457 problem from the API, or a network failure (status 0). */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldError[] = [],
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail || title);
  }
}

type Problem = { title?: string; detail?: string; errors?: FieldError[] } & Record<string, unknown>;

function toProblem(status: number, body: unknown): ApiProblem {
  const problem = (body && typeof body === 'object' ? body : {}) as Problem;
  const { title = `Request failed (${status})`, detail = '', errors = [], ...extra } = problem;
  return new ApiProblem(status, title, detail, errors, extra);
}

async function readBody(response: Response): Promise<unknown> {
  if (response.status === 204) return undefined;
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

let refreshing: Promise<boolean> | null = null;

/** Single flight: every request that meets a 401 at once waits on the same refresh. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= rotateRefreshToken()
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

async function rotateRefreshToken(): Promise<boolean> {
  const refreshToken = sessionStore.refreshToken();
  if (!refreshToken) return false;
  const response = await fetch('/api/auth/refresh', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refresh_token: refreshToken }),
  });
  if (!response.ok) {
    sessionStore.end();
    return false;
  }
  sessionStore.start((await response.json()) as Session);
  return true;
}

type RequestOptions = {
  method?: string;
  body?: unknown;
  rawBody?: BodyInit;
  contentType?: string;
  signal?: AbortSignal;
};

async function send(path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = {};
  const token = sessionStore.accessToken();
  if (token) headers.authorization = `Bearer ${token}`;
  let body: BodyInit | undefined = options.rawBody;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  } else if (options.contentType) {
    headers['content-type'] = options.contentType;
  }
  return fetch(path, { method: options.method ?? 'GET', headers, body, signal: options.signal });
}

/** A JSON call to the API with the session's bearer token, refreshed transparently on 401. */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  let response: Response;
  try {
    response = await send(path, options);
    if (response.status === 401 && sessionStore.refreshToken() && (await refreshSession())) {
      response = await send(path, options);
    }
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiProblem(0, 'Network error', 'The server could not be reached. Check your connection and try again.');
  }
  const body = await readBody(response);
  const problem = response.ok ? undefined : toProblem(response.status, body);
  noteServiceAnswer(response, problem?.detail);
  if (problem) throw problem;
  return body as T;
}

/** Query string from the set values only. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export type UploadProgress = { loaded: number; total: number };

/**
 * POST with upload progress (fetch cannot report it), the bearer token, and one transparent
 * refresh on 401.
 */
export async function uploadWithProgress<T>(
  path: string,
  body: XMLHttpRequestBodyInit,
  onProgress: (progress: UploadProgress) => void,
  contentType?: string,
): Promise<T> {
  const attempt = () =>
    new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open('POST', path);
      const token = sessionStore.accessToken();
      if (token) request.setRequestHeader('authorization', `Bearer ${token}`);
      if (contentType) request.setRequestHeader('content-type', contentType);
      request.upload.onprogress = (event) =>
        onProgress({ loaded: event.loaded, total: event.lengthComputable ? event.total : 0 });
      request.onload = () => {
        let parsed: unknown = request.responseText;
        try {
          parsed = request.responseText ? JSON.parse(request.responseText) : undefined;
        } catch {
          /* not JSON: keep the text */
        }
        resolve({ status: request.status, body: parsed });
      };
      request.onerror = () => reject(new ApiProblem(0, 'Network error', 'The upload could not reach the server.'));
      request.send(body);
    });
  let result = await attempt();
  if (result.status === 401 && (await refreshSession())) result = await attempt();
  if (result.status < 200 || result.status >= 300) throw toProblem(result.status, result.body);
  return result.body as T;
}

/** What a person should read for a failed call. */
export function problemMessage(error: unknown): string {
  if (error instanceof ApiProblem) {
    if (error.status === 403) return 'Your role does not allow this action.';
    return error.detail || error.title;
  }
  return error instanceof Error ? error.message : 'Something went wrong.';
}
