import { withTenant } from '../../db/tenant';
import { actorOf } from '../platform/audit';
import { createRouter, defineRoute } from '../platform/openapi';
import { pageOf, pageQuery } from '../platform/pagination';
import { jsonResponse, problemOf, problemResponses } from '../platform/responses';
import { planFeature } from '../subscription/features';
import { accountRiskView, anomalyView, modelView, summaryView, trainBody } from './schemas';
import { currentModel, listAccountRisk, listAnomalies, riskSummary, toModelView } from './service';
import { requestTraining } from './training';

/** Mounted at /api/risk (worker/app.ts). Part of the plan feature `risk`. */
export const riskRoutes = createRouter();
const tags = ['risk'];

const trainRoute = defineRoute(
  { permission: 'risk:train', gate: planFeature('risk') },
  {
    method: 'post',
    path: '/models/train',
    tags,
    summary: "Train the organization's anomaly model now (queued)",
    description:
      'A seeded isolation forest over a sample of the stored transactions; once ready it scores every new transaction, and the run scores those stored before. While a run is training, this answers that run.',
    request: { body: { content: { 'application/json': { schema: trainBody } }, required: false } },
    responses: { 202: jsonResponse(modelView, 'The queued (or running) training'), ...problemResponses },
  },
);
riskRoutes.openapi(trainRoute, async (c) => {
  const body = c.req.valid('json') ?? {};
  const model = await requestTraining(c.env, c.var.database(), actorOf(c), 'manual', body.time_zone);
  return c.json(toModelView(model), 202);
});

const currentRoute = defineRoute(
  { permission: 'data:read', gate: planFeature('risk') },
  {
    method: 'get',
    path: '/models/current',
    tags,
    summary: 'The newest model: training, ready or failed',
    responses: {
      200: jsonResponse(modelView, 'The model'),
      ...problemResponses,
      404: problemOf('No model was trained yet'),
    },
  },
);
riskRoutes.openapi(currentRoute, async (c) => {
  const model = await withTenant(c.var.database(), c.var.caller.orgId, currentModel);
  return c.json(toModelView(model), 200);
});

const accountsRoute = defineRoute(
  { permission: 'data:read', gate: planFeature('risk') },
  {
    method: 'get',
    path: '/accounts',
    tags,
    summary: 'Accounts by descending risk, each with factor contributions that add up to its score',
    request: { query: pageQuery },
    responses: { 200: jsonResponse(pageOf(accountRiskView), 'A page of accounts'), ...problemResponses },
  },
);
riskRoutes.openapi(accountsRoute, async (c) => {
  const page = await withTenant(c.var.database(), c.var.caller.orgId, (tx) =>
    listAccountRisk(tx, c.req.valid('query')),
  );
  return c.json(page, 200);
});

const summaryRoute = defineRoute(
  { permission: 'data:read', gate: planFeature('risk') },
  {
    method: 'get',
    path: '/summary',
    tags,
    summary: "The organization's risk score, its 12-week trend, and open violations by rule and severity",
    responses: { 200: jsonResponse(summaryView, 'The summary'), ...problemResponses },
  },
);
riskRoutes.openapi(summaryRoute, async (c) => {
  const summary = await withTenant(c.var.database(), c.var.caller.orgId, riskSummary);
  return c.json(summary, 200);
});

const anomaliesRoute = defineRoute(
  { permission: 'data:read', gate: planFeature('risk') },
  {
    method: 'get',
    path: '/anomalies',
    tags,
    summary: 'The most anomalous transactions, highest score first, with their factors',
    request: { query: pageQuery },
    responses: { 200: jsonResponse(pageOf(anomalyView), 'A page of transactions'), ...problemResponses },
  },
);
riskRoutes.openapi(anomaliesRoute, async (c) => {
  const page = await withTenant(c.var.database(), c.var.caller.orgId, (tx) => listAnomalies(tx, c.req.valid('query')));
  return c.json(page, 200);
});
