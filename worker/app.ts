import { secureHeaders } from 'hono/secure-headers';
import packageJson from '../package.json';
import { adminRoutes } from './admin/routes';
import { alertChannelsRoutes, alertDeliveriesRoutes, alertRoutesRoutes } from './alerts/routes';
import { auditRoutes } from './audit/routes';
import { authRoutes } from './auth/routes';
import { billingRoutes } from './billing/routes';
import { casesRoutes, ruleFeedbackRoutes } from './cases/routes';
import { connectorsRoutes } from './connectors/routes';
import { healthRoutes } from './health/routes';
import { ingestRoutes } from './ingest/routes';
import { liveRoutes } from './live/routes';
import { adminOperationsRoutes, jobsRoutes, metricsRoutes } from './operations/routes';
import { overviewRoutes } from './overview/routes';
import { admissionControl } from './platform/admission';
import { docsAsset, docsInitScript, docsPage } from './platform/docs-page';
import { bodyLimits, corsForConfiguredOrigins, environmentGuard } from './platform/edge';
import { ApiError, handleError, problemResponse } from './platform/errors';
import { createRouter } from './platform/openapi';
import { requestContext, requestDatabase } from './platform/request';
import { policiesRoutes } from './policies/routes';
import { evidencePackRoutes, reportSchedulesRoutes, reportsRoutes } from './reports/routes';
import { riskRoutes } from './risk/routes';
import { rulesRoutes } from './rules/routes';
import { scansRoutes } from './scans/routes';
import { screeningRoutes } from './screening/routes';
import { sourcesRoutes } from './sources/routes';
import { plansRoutes, subscriptionRoutes } from './subscription/routes';
import { transactionsRoutes } from './transactions/routes';
import { usersRoutes } from './users/routes';
import { violationsRoutes } from './violations/routes';

const OPENAPI_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'NitiLens',
    version: packageJson.version,
    description: 'Compliance monitoring: policies to cited rules, transactions checked in real time and in scans.',
  },
};

function createApp() {
  const app = createRouter();
  app.use('*', requestContext());
  app.use('*', secureHeaders({ crossOriginResourcePolicy: 'same-site' }));
  app.use('/api/*', corsForConfiguredOrigins());
  app.use('*', environmentGuard());
  // Before the body is read and before the database: pushes and uploads past capacity are refused at once.
  app.use('*', admissionControl());
  app.use('*', bodyLimits());
  app.use('*', requestDatabase());

  app.route('/health', healthRoutes);
  app.route('/metrics', metricsRoutes);
  app.route('/api/auth', authRoutes);
  app.route('/api/users', usersRoutes);
  app.route('/api/audit', auditRoutes);
  app.route('/api/admin', adminRoutes);
  app.route('/api/admin', adminOperationsRoutes);
  app.route('/api/jobs', jobsRoutes);
  app.route('/api/rules', rulesRoutes);
  app.route('/api/rules', ruleFeedbackRoutes);
  app.route('/api/cases', casesRoutes);
  app.route('/api/cases', evidencePackRoutes);
  app.route('/api/scans', scansRoutes);
  app.route('/api/violations', violationsRoutes);
  app.route('/api/transactions', transactionsRoutes);
  app.route('/api/sources', sourcesRoutes);
  app.route('/api/ingest', ingestRoutes);
  app.route('/api/policies', policiesRoutes);
  app.route('/api/ws', liveRoutes);
  app.route('/api/overview', overviewRoutes);
  app.route('/api/plans', plansRoutes);
  app.route('/api/subscription', subscriptionRoutes);
  app.route('/api/billing', billingRoutes);
  app.route('/api/alert-channels', alertChannelsRoutes);
  app.route('/api/alert-routes', alertRoutesRoutes);
  app.route('/api/alert-deliveries', alertDeliveriesRoutes);
  app.route('/api/connectors', connectorsRoutes);
  app.route('/api/screening', screeningRoutes);
  app.route('/api/reports', reportsRoutes);
  app.route('/api/report-schedules', reportSchedulesRoutes);
  app.route('/api/risk', riskRoutes);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  app.doc31('/api/openapi.json', OPENAPI_INFO);
  app.get('/api/docs', (c) => docsPage(c, OPENAPI_INFO.info));
  app.get('/api/docs/init.js', docsInitScript);
  app.get('/api/docs/assets/:file', docsAsset);

  app.notFound((c) => problemResponse(c, new ApiError('not_found', `No route matches ${c.req.method} ${c.req.path}.`)));
  app.onError(handleError);
  return app;
}

export const app = createApp();
