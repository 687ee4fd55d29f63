import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from '../worker/app';
import { type Env, environmentProblems } from '../worker/env';
import { api, apiJson, expectProblem } from './helpers';

describe('happy', () => {
  it('reports health, naming no versions', async () => {
    const response = await api('GET', '/health');
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(JSON.parse(text) as unknown).toEqual({ status: 'ok', database: 'ok' });
    expect(text).not.toMatch(/version|PostgreSQL|\d+\.\d+/i);
  });

  it('propagates a caller-supplied request id and generates one otherwise', async () => {
    const echoed = await api('GET', '/health', { headers: { 'x-request-id': 'erp-trace-42' } });
    expect(echoed.headers.get('x-request-id')).toBe('erp-trace-42');
    const generated = await api('GET', '/health', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends security headers', async () => {
    const response = await api('GET', '/health');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('strict-transport-security')).toContain('max-age');
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });

  it('allows CORS only for configured origins', async () => {
    const allowed = await api('OPTIONS', '/api/auth/login', {
      headers: { origin: 'http://localhost:8787', 'access-control-request-method': 'POST' },
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:8787');
    const refused = await api('OPTIONS', '/api/auth/login', {
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves the OpenAPI 3.1 document and an interactive reference that loads nothing from elsewhere', async () => {
    const doc = await apiJson('GET', '/api/openapi.json', 200);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/api/auth/register']!.post!['x-permission']).toBe('public');
    expect(doc.paths['/api/auth/me']!.get!['x-permission']).toBe('data:read');
    const page = await api('GET', '/api/docs');
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(sources).toEqual([
      '/api/docs/assets/swagger-ui.css',
      'data:,',
      '/api/openapi.json',
      '/api/docs/assets/swagger-ui-bundle.js',
      '/api/docs/init.js',
    ]);
    const init = await api('GET', '/api/docs/init.js');
    expect(await init.text()).toContain("url: '/api/openapi.json'");
    expect((await api('GET', '/api/docs/assets/other.js')).status).toBe(404);
  });

  it('documents the bodies of the write endpoints that read them themselves, with examples', async () => {
    const doc = await apiJson('GET', '/api/openapi.json', 200);
    const upload = doc.paths['/api/transactions']!.post!.requestBody!.content;
    expect(Object.keys(upload)).toEqual(['application/json', 'application/x-ndjson', 'text/csv']);
    expect(upload['application/json']!.schema.items).toEqual({ $ref: '#/components/schemas/TransactionInput' });
    expect((upload['application/json']!.example as unknown[])[0]).toMatchObject({ id: 'TX-1001', currency: 'USD' });
    expect(upload['text/csv']!.example).toMatch(/^id,occurred_at,amount,currency,account/);
    const push = doc.paths['/api/ingest/{source_id}']!.post!;
    expect(push.requestBody!.content['application/json']!.examples!.one!.value).toMatchObject({ id: 'SAP-4711' });
    expect(push.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'X-NitiLens-Signature', required: true })]),
    );
    expect(doc.components.schemas.TransactionInput!.required).toEqual([
      'id',
      'occurred_at',
      'amount',
      'currency',
      'account',
    ]);
    // Every write endpoint that takes a body declares it; those left take none.
    const bodiless = Object.entries(doc.paths as Record<string, Record<string, { requestBody?: unknown }>>).flatMap(
      ([path, operations]) =>
        Object.entries(operations)
          .filter(([method, operation]) => ['post', 'put', 'patch'].includes(method) && !operation.requestBody)
          .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(bodiless.sort()).toEqual(
      [
        'POST /api/alert-channels/{id}/rotate-secret',
        'POST /api/alert-channels/{id}/test',
        'POST /api/alert-deliveries/{id}/redeliver',
        'POST /api/connectors/{id}/run',
        'POST /api/policies/{id}/reground',
        'POST /api/sources/{id}/rotate-secret',
        'POST /api/ws/ticket',
      ].sort(),
    );
  });
});

describe('errors', () => {
  it('answers an unknown route with a problem+json 404 carrying the request id', async () => {
    const response = await api('GET', '/api/nope', { headers: { 'x-request-id': 'trace-404' } });
    const body = await expectProblem(response, 404);
    expect(body).toMatchObject({ status: 404, title: 'Not found', request_id: 'trace-404' });
    expect(body.type).toMatch(/^https:\/\//);
  });

  it('answers malformed JSON with 400', async () => {
    const response = await api('POST', '/api/auth/login', {
      rawBody: '{"email": ',
      headers: { 'content-type': 'application/json' },
    });
    expect((await expectProblem(response, 400)).detail).toMatch(/JSON/i);
  });

  it('lists every offending field of a failed validation', async () => {
    const response = await api('POST', '/api/auth/register', {
      body: { org_name: '', email: 'not-an-email', password: 'short' },
    });
    const body = await expectProblem(response, 400);
    const paths = body.errors!.map((error: { path: string }) => error.path).sort();
    expect(paths).toEqual(['email', 'full_name', 'org_name', 'password']);
  });

  it('refuses an oversized body with 413', async () => {
    const response = await api('POST', '/api/auth/login', {
      body: { email: 'a@b.co', password: 'x'.repeat(2 * 1024 * 1024) },
    });
    await expectProblem(response, 413);
  });

  it('never leaks internals: a missing bearer token is a plain 401 problem', async () => {
    const response = await api('GET', '/api/auth/me');
    const body = await expectProblem(response, 401);
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts|stack/i);
  });

  it('answers 503 on /health when the database is unreachable', async () => {
    const unreachable = {
      ...env,
      HYPERDRIVE: { ...env.HYPERDRIVE, connectionString: 'postgres://nobody:secret@127.0.0.1:9/none' },
    };
    const response = await app.fetch(new Request('http://nitilens.test/health'), unreachable, createExecutionContext());
    expect(response.headers.get('retry-after')).toBe('5');
    const body = await expectProblem(response, 503);
    expect(body.detail).toMatch(/database is unreachable/);
    expect(body.database).toBe('unreachable');
  });

  it('refuses to serve with a misconfigured environment, naming what is missing', async () => {
    const misconfigured = { ...env, JWT_SECRET: '', SOURCE_SECRET_KEY: 'too-short' };
    const response = await app.fetch(
      new Request('http://nitilens.test/health'),
      misconfigured,
      createExecutionContext(),
    );
    const { detail } = await expectProblem(response, 500);
    expect(detail).toContain('JWT_SECRET is not set');
    expect(detail).toContain('SOURCE_SECRET_KEY must be 32 bytes');
  });

  it('allows the test password cost only in development and test, and holds rotation keys to the same rules', () => {
    const problems = (change: Partial<Env>) => environmentProblems({ ...env, ...change });
    expect(problems({ APP_ENV: 'test', PASSWORD_COST: 'test' })).toEqual([]);
    expect(problems({ APP_ENV: 'development', PASSWORD_COST: 'test' })).toEqual([]);
    for (const appEnv of ['staging', 'production', ''])
      expect(problems({ APP_ENV: appEnv, PASSWORD_COST: 'test' })).toContain(
        'PASSWORD_COST=test is allowed only when APP_ENV is development or test',
      );
    expect(problems({ PASSWORD_COST: 'cheap' })).toContain('PASSWORD_COST must be unset or "test"');
    expect(problems({ JWT_PREVIOUS_SECRET: 'short' })).toContain('JWT_PREVIOUS_SECRET must be at least 32 characters');
    expect(problems({ JWT_PREVIOUS_SECRET: 'p'.repeat(32) })).toEqual([]);
    expect(problems({ SOURCE_SECRET_KEY_PREVIOUS: 'too-short' })).toContain(
      'SOURCE_SECRET_KEY_PREVIOUS must be 32 bytes, base64-encoded',
    );
  });
});
