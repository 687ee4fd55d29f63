import { env, exports } from 'cloudflare:workers';
import type { z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { expect, inject } from 'vitest';
import { BACKGROUND_LIMITS, createDatabaseClient, type Database } from '../db/client';
import { subscriptions, users } from '../db/schema';
import { withTenant } from '../db/tenant';
import type { LiveEvent } from '../durable-objects/org-hub';
import { createSuperAdmin } from '../worker/admin/super-admin';
import { passwordCost } from '../worker/auth/passwords';
import type { Role } from '../worker/platform/permissions';
import { issueAccessToken } from '../worker/platform/tokens';
import type { sourceWithSecret } from '../worker/sources/schemas';
import type { Method, ResponseOf } from './api-routes';

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
  return (exports as unknown as { default: Fetcher }).default.fetch(
    new Request(`http://nitilens.test${path}`, { method, headers, body }),
  );
}

/**
 * Sends the request and parses the JSON answer, failing loudly on an unexpected status. The answer is typed
 * from the route's view schema (test/api-routes.ts) when the path is one the table knows; otherwise name
 * the shape: `apiJson<Shape>(...)`.
 */
export async function apiJson<M extends Method, P extends string, S extends number>(
  method: M,
  path: P,
  expectedStatus: S,
  options?: RequestOptions,
): Promise<ResponseOf<M, P, S>>;
export async function apiJson<T>(
  method: Method,
  path: string,
  expectedStatus: number,
  options?: RequestOptions,
): Promise<T>;
export async function apiJson(
  method: Method,
  path: string,
  expectedStatus: number,
  options: RequestOptions = {},
): Promise<unknown> {
  const response = await api(method, path, options);
  const text = await response.text();
  if (response.status !== expectedStatus) {
    throw new Error(`${method} ${path}: expected ${expectedStatus}, got ${response.status}: ${text}`);
  }
  return text ? JSON.parse(text) : undefined;
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

/** As the database owner: for what only a privileged insider may do (ANALYZE, tampering). */
export async function withOwnerDatabase<T>(work: (db: Database) => Promise<T>): Promise<T> {
  const client = createDatabaseClient(inject('pgOwnerUrl'), BACKGROUND_LIMITS);
  try {
    return await work(client.db);
  } finally {
    await client.close();
  }
}

/** A database handle for direct assertions and fixtures (a background job's limits), closed when `work` is done. */
export async function withDatabase<T>(work: (db: Database) => Promise<T>): Promise<T> {
  const client = createDatabaseClient(env.HYPERDRIVE.connectionString, BACKGROUND_LIMITS);
  try {
    return await work(client.db);
  } finally {
    await client.close();
  }
}

/** The roles an organization can give its users (a super_admin is made from the command line only). */
type MemberRole = Exclude<Role, 'super_admin'>;

/** Adds a user with `role` to the admin's organization (POST /api/users: the plan's seat limit applies) and signs them in. */
export async function addUser(admin: Session, role: MemberRole): Promise<Session & { password: string }> {
  const password = 'another horse battery staple';
  const user = await apiJson<{ email: string }>('POST', '/api/users', 201, {
    token: admin.access_token,
    body: { email: uniqueEmail(role), full_name: `A ${role}`, role, password },
  });
  const session = await apiJson<Session>('POST', '/api/auth/login', 200, { body: { email: user.email, password } });
  return { ...session, password };
}

/** A member inserted straight into the organization (no seat limit, no password hashing), signed in by a freshly issued access token. */
export async function addMember(session: Session, role: MemberRole): Promise<{ token: string; userId: string }> {
  const orgId = session.organization.id;
  const [user] = await withDatabase((db) =>
    withTenant(db, orgId, (tx) =>
      tx
        .insert(users)
        .values({ orgId, email: uniqueEmail(role), fullName: `A ${role}`, role, passwordHash: 'unused-in-tests' })
        .returning(),
    ),
  );
  return { token: await issueAccessToken(env, { sub: user!.id, org: orgId, role }), userId: user!.id };
}

/** Moves an organization to another plan (basic allows only 3 users). */
export async function setPlan(orgId: string, plan: 'basic' | 'pro' | 'enterprise'): Promise<void> {
  await withDatabase((db) =>
    withTenant(db, orgId, (tx) => tx.update(subscriptions).set({ planId: plan }).where(eq(subscriptions.orgId, orgId))),
  );
}

/** A platform operator (super_admin), made as the command-line script makes one, signed in. */
export async function signInPlatformOperator(): Promise<Session & { password: string }> {
  const password = 'operator horse battery staple';
  const email = uniqueEmail('operator');
  await withDatabase((db) =>
    createSuperAdmin(db, { email, password, fullName: 'Olga Operator' }, passwordCost('test')),
  );
  const session = await apiJson<Session>('POST', '/api/auth/login', 200, { body: { email, password } });
  return { ...session, password };
}

/** The `X-NitiLens-Signature` header (contract section 5) for `body`, signed at `t` (now unless given). */
export async function webhookSignature(
  secret: string,
  body: string,
  t = Math.floor(Date.now() / 1000),
): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(`${t}.${body}`)));
  return `t=${t},v1=${[...mac].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** A signed webhook push; `payload` as a string is sent verbatim (amounts a JS number cannot hold). */
export async function pushSigned(sourceId: string, secret: string, payload: unknown, t?: number): Promise<Response> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return api('POST', `/api/ingest/${sourceId}`, {
    rawBody: body,
    headers: { 'content-type': 'application/json', 'x-nitilens-signature': await webhookSignature(secret, body, t) },
  });
}

/** A fresh ingest source (contract section 5) with its signing secret, shown this once. */
export async function createSource(
  token: string,
  body: { name: string; mapping?: unknown } = { name: 'ERP' },
): Promise<z.infer<typeof sourceWithSecret>> {
  return apiJson('POST', '/api/sources', 201, { token, body });
}

/** A ticket for the live socket (POST /api/ws/ticket), good for one upgrade. */
export async function liveTicket(token: string): Promise<string> {
  return (await apiJson('POST', '/api/ws/ticket', 200, { token })).ticket;
}

/** The live socket: `messages` as received, `events()` parsed, `closed` the close code the server sent. */
export type LiveSocket = { socket: WebSocket; messages: string[]; events: () => LiveEvent[]; closed: Promise<number> };

/** Opens the organization's live socket as the dashboard does: a ticket (a fresh one unless given), then the upgrade. */
export async function openLiveSocket(token: string, ticket?: string): Promise<LiveSocket> {
  const response = await api('GET', `/api/ws?ticket=${ticket ?? (await liveTicket(token))}`, {
    headers: { upgrade: 'websocket' },
  });
  expect(response.status).toBe(101);
  const socket = response.webSocket!;
  const messages: string[] = [];
  const closed = new Promise<number>((resolve) => socket.addEventListener('close', (event) => resolve(event.code)));
  socket.addEventListener('message', (event: MessageEvent) => messages.push(event.data as string));
  socket.accept();
  return { socket, messages, events: () => messages.map((message) => JSON.parse(message) as LiveEvent), closed };
}

export type RuleFixture = { name?: string; severity?: string; condition: unknown; clause_ref?: string };

/** Creates a rule and has it approved; returns the rule as the API shows it. */
export async function approvedRule(token: string, rule: RuleFixture): Promise<{ id: string; version: number }> {
  const created = await apiJson('POST', '/api/rules', 201, {
    token,
    body: { name: 'A rule', severity: 'high', ...rule },
  });
  await apiJson('POST', `/api/rules/${created.id}/approve`, 200, { token, body: {} });
  return created;
}

/** The parts of the OpenAPI document (GET /api/openapi.json) the tests read. */
export type OpenApiOperation = {
  'x-permission'?: string;
  parameters?: { in: string; name: string; required?: boolean }[];
  requestBody?: {
    content: Record<
      string,
      { schema: { items?: unknown }; example?: unknown; examples?: Record<string, { value: unknown }> }
    >;
  };
};
export type OpenApiDocument = {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, { required?: string[] }> };
};

/** An RFC 9457 problem as the API writes it; routes add members (`errors`, `limit`, `used`...). */
export type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** A validation problem's fields (422). */
  errors?: { path: string; message: string }[];
  [member: string]: unknown;
};

/** Asserts a problem+json answer with `status` (status, content type, the RFC 9457 members) and returns it. */
export async function expectProblem(response: Response, status: number): Promise<Problem> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const body = JSON.parse(text) as Problem;
  expect(body).toMatchObject({
    status,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  });
  return body;
}

/** Parses RFC 4180 (quoted fields may hold commas, quotes and line breaks). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  return rows;
}
