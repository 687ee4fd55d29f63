import { env, exports } from 'cloudflare:workers';
import { createDatabaseClient, type Database } from '../db/client';

export type Session = {
  access_token: string;
  refresh_token: string;
  user: { id: string; email: string; role: string; full_name: string };
  organization: { id: string; name: string };
};

type RequestOptions = { token?: string; body?: unknown; rawBody?: BodyInit; headers?: Record<string, string> };

/** A real HTTP request through the Worker's fetch handler (routing, middleware, database). */
export async function api(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  return exports.default.fetch(new Request(`http://nitilens.test${path}`, { method, headers, body }));
}

/** Sends the request and parses the JSON answer, failing loudly on an unexpected status. */
export async function apiJson<T = any>(method: string, path: string, expectedStatus: number, options: RequestOptions = {}): Promise<T> {
  const response = await api(method, path, options);
  const text = await response.text();
  if (response.status !== expectedStatus) {
    throw new Error(`${method} ${path}: expected ${expectedStatus}, got ${response.status}: ${text}`);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

let counter = 0;
export function uniqueEmail(label = 'user'): string {
  counter += 1;
  return `${label}-${Date.now().toString(36)}-${counter}-${crypto.randomUUID().slice(0, 8)}@example.test`;
}

/** Registers a fresh organization with its first admin; every test file makes its own. */
export async function registerOrganization(name = 'Acme Compliance'): Promise<Session & { password: string }> {
  const password = 'correct horse battery staple';
  const session = await apiJson<Session>('POST', '/api/auth/register', 201, {
    body: { org_name: name, email: uniqueEmail('admin'), password, full_name: 'Ada Admin' },
  });
  return { ...session, password };
}

/** A database handle for direct assertions, closed when `work` is done. */
export async function withDatabase<T>(work: (db: Database) => Promise<T>): Promise<T> {
  const client = createDatabaseClient(env.HYPERDRIVE.connectionString);
  try {
    return await work(client.db);
  } finally {
    await client.close();
  }
}
