import { z } from '@hono/zod-openapi';
import { withTenant } from '../../db/tenant';
import { ApiError } from '../platform/errors';
import { readMetrics, renderPrometheus } from '../platform/metrics';
import { createRouter, defineRoute } from '../platform/openapi';
import { pageOf, pageQuery, toPage } from '../platform/pagination';
import { jsonResponse, problemOf, problemResponses } from '../platform/responses';
import { adminJobView, jobFailureRates, jobView, listAllJobs, listJobs } from './jobs';
import { JOB_KINDS, JOB_STATUSES } from './kinds';
import { requestErrorRates } from './rates';

/** `GET /metrics`, mounted at the root (worker/app.ts). */
export const metricsRoutes = createRouter();
/** Mounted at /api/jobs. */
export const jobsRoutes = createRouter();
/** Mounted at /api/admin beside the organizations' routes: super_admin only. */
export const adminOperationsRoutes = createRouter();

const tags = ['operations'];

export const jobSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(JOB_KINDS),
    status: z.enum(JOB_STATUSES),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    duration_ms: z.number().int().nullable(),
    error: z.string().nullable(),
  })
  .openapi('Job');
export const adminJobSchema = jobSchema.extend({ org_id: z.uuid() }).openapi('AdminJob');
const jobsQuery = pageQuery.extend({
  kind: z.enum(JOB_KINDS).optional(),
  status: z.enum(JOB_STATUSES).optional(),
});
const adminJobsQuery = jobsQuery.extend({ org_id: z.uuid().optional() });

const metrics = defineRoute(
  { public: true, reason: 'scraped by Prometheus with METRICS_TOKEN, not a user token' },
  {
    method: 'get',
    path: '/',
    tags,
    summary: "The deployment's metrics in Prometheus text format",
    description:
      'Requires `Authorization: Bearer <METRICS_TOKEN>`; 404 when METRICS_TOKEN is not configured. Counts from every isolate and Durable Object, summed.',
    responses: {
      200: {
        description: 'Prometheus text exposition format 0.0.4',
        content: { 'text/plain': { schema: z.string() } },
      },
      401: problemOf('Missing or wrong token'),
      404: problemOf('Metrics are not configured'),
    },
  },
);
metricsRoutes.openapi(metrics, async (c) => {
  const token = c.env.METRICS_TOKEN;
  if (!token) throw new ApiError('not_found', `No route matches ${c.req.method} ${c.req.path}.`);
  const presented = c.req.header('authorization')?.match(/^Bearer (.+)$/i)?.[1] ?? '';
  if (!(await sameSecret(presented, token)))
    throw new ApiError(
      'unauthorized',
      'Send the metrics token as a bearer token.',
      {},
      { 'WWW-Authenticate': 'Bearer' },
    );
  const { series } = await readMetrics(c.env);
  return c.text(renderPrometheus(series), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
});

/** Compares digests, so the time taken says nothing about how much of the token matched. */
async function sameSecret(presented: string, expected: string): Promise<boolean> {
  const digest = async (value: string) =>
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value)));
  const [a, b] = await Promise.all([digest(presented), digest(expected)]);
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

const list = defineRoute(
  { permission: 'jobs:read' },
  {
    method: 'get',
    path: '/',
    tags,
    summary: "The organization's background jobs, newest first",
    description:
      'Scans, schedule runs, report runs, model trainings, connector runs and alert deliveries. Status: queued, running, retrying (an attempt failed and will be tried again), succeeded or failed.',
    request: { query: jobsQuery },
    responses: { 200: jsonResponse(pageOf(jobSchema).openapi('JobPage'), 'A page of jobs'), ...problemResponses },
  },
);
jobsRoutes.openapi(list, async (c) => {
  const { limit, cursor, kind, status } = c.req.valid('query');
  const rows = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    listJobs(tx, { limit, cursor, kind, status }),
  );
  return c.json(
    toPage(rows, limit, jobView, (row) => [row.created_key, row.id]),
    200,
  );
});

const adminList = defineRoute(
  { permission: 'platform:admin' },
  {
    method: 'get',
    path: '/jobs',
    tags: ['admin', ...tags],
    summary: "Every organization's background jobs, newest first",
    request: { query: adminJobsQuery },
    responses: {
      200: jsonResponse(pageOf(adminJobSchema).openapi('AdminJobPage'), 'A page of jobs'),
      ...problemResponses,
    },
  },
);
adminOperationsRoutes.openapi(adminList, async (c) => {
  const { limit, cursor, kind, status, org_id } = c.req.valid('query');
  const rows = await listAllJobs(c.var.database(), { limit, cursor, kind, status, orgId: org_id });
  return c.json(
    toPage(rows, limit, adminJobView, (row) => [row.created_key, row.id]),
    200,
  );
});

export const operationsSchema = z
  .object({
    requests: z.array(
      z.object({
        method: z.string(),
        route: z.string(),
        total: z.number(),
        server_errors: z.number(),
        error_rate: z.number(),
      }),
    ),
    jobs: z.array(z.object({ kind: z.string(), total: z.number(), failed: z.number(), error_rate: z.number() })),
    slow_statements: z.array(
      z.object({ digest: z.string(), statement: z.string(), duration_ms: z.number(), at: z.string() }),
    ),
  })
  .openapi('Operations');

const overview = defineRoute(
  { permission: 'platform:admin' },
  {
    method: 'get',
    path: '/operations',
    tags: ['admin', ...tags],
    summary: 'Error rates by route (since the metrics began) and job kind (24 h), and the latest slow statements',
    responses: { 200: jsonResponse(operationsSchema, 'The deployment at a glance'), ...problemResponses },
  },
);
adminOperationsRoutes.openapi(overview, async (c) => {
  const [{ series, slow }, jobs] = await Promise.all([readMetrics(c.env), jobFailureRates(c.var.database())]);
  return c.json({ requests: requestErrorRates(series), jobs, slow_statements: slow }, 200);
});
