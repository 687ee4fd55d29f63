import type { Context, MiddlewareHandler, Next } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { environmentProblems } from '../env';
import type { AppEnv } from './context';
import { ApiError } from './errors';
import { log } from './log';

const MB = 1024 * 1024;

/** Bulk uploads get room; everything else is a small JSON body. `streamed` bodies are counted as read, never buffered. */
const BODY_LIMITS: { method: string; prefix: string; bytes: number; streamed?: true }[] = [
  { method: 'POST', prefix: '/api/transactions', bytes: 100 * MB, streamed: true },
  { method: 'POST', prefix: '/api/policies', bytes: 20 * MB + 64 * 1024 },
  { method: 'POST', prefix: '/api/ingest/', bytes: 10 * MB },
  { method: 'POST', prefix: '/api/screening/lists', bytes: 50 * MB + 64 * 1024 },
];
const DEFAULT_BODY_LIMIT = 1 * MB;

export function bodyLimits(): MiddlewareHandler<AppEnv> {
  const tooLarge = () => {
    throw new ApiError('payload_too_large', 'The request body is too large for this endpoint.');
  };
  const limiters = new Map<number, MiddlewareHandler>();
  const limiterFor = (bytes: number) => {
    if (!limiters.has(bytes)) limiters.set(bytes, bodyLimit({ maxSize: bytes, onError: tooLarge }));
    return limiters.get(bytes)!;
  };
  return async function bodyLimits(c, next) {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const rule = BODY_LIMITS.find((r) => r.method === c.req.method && c.req.path.startsWith(r.prefix));
    if (rule?.streamed) return countBodyAsRead(c, rule.bytes, next);
    return limiterFor(rule?.bytes ?? DEFAULT_BODY_LIMIT)(c, next);
  };
}

/** Declared lengths over the limit fail at once; chunked bodies fail (413) when reading passes the limit. */
async function countBodyAsRead(c: Context<AppEnv>, maxBytes: number, next: Next): Promise<void> {
  const body = c.req.raw.body;
  const tooLarge = () => new ApiError('payload_too_large', `The request body is larger than ${maxBytes / MB} MB.`);
  if (!body) return next();
  if (Number(c.req.header('content-length') ?? 0) > maxBytes) throw tooLarge();
  let size = 0;
  const counted = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength;
        if (size > maxBytes) controller.error(tooLarge());
        else controller.enqueue(chunk);
      },
    }),
  );
  c.req.raw = new Request(c.req.raw, { body: counted });
  return next();
}

/** CORS for the configured dashboard origins only. */
export function corsForConfiguredOrigins(): MiddlewareHandler<AppEnv> {
  return async function corsForConfiguredOrigins(c, next) {
    const allowed = c.env.CORS_ORIGINS.split(',')
      .map((origin) => origin.trim())
      .filter(Boolean);
    return cors({
      origin: (origin) => (allowed.includes(origin) ? origin : null),
      allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', 'X-NitiLens-Signature'],
      allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      exposeHeaders: ['X-Request-Id', 'Retry-After'],
      maxAge: 600,
    })(c, next);
  };
}

/** Checked once per environment object, i.e. once per isolate in production. */
const checkedEnvironments = new WeakMap<object, string[]>();

/** Refuses to serve with a misconfigured environment, naming each missing setting. */
export function environmentGuard(): MiddlewareHandler<AppEnv> {
  return async function environmentGuard(c, next) {
    let problems = checkedEnvironments.get(c.env);
    if (!problems) {
      problems = environmentProblems(c.env);
      checkedEnvironments.set(c.env, problems);
    }
    if (problems.length > 0) {
      log('error', 'environment is misconfigured', { problems });
      throw new ApiError('internal', `The server is misconfigured: ${problems.join('; ')}.`);
    }
    await next();
  };
}
