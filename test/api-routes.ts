import type { z } from '@hono/zod-openapi';
import type { organizationSummaryView, organizationUsageView } from '../worker/admin/schemas';
import type { channelView, channelWithSecret, deliveryView, routeView } from '../worker/alerts/schemas';
import type { auditEntryView, chainVerdictView } from '../worker/audit/schemas';
import type { meView, sessionView } from '../worker/auth/schemas';
import type { outcome } from '../worker/billing/routes';
import type {
  assigneeView,
  bulkResult,
  caseCountsView,
  caseDetailView,
  caseEventView,
  caseSettingsView,
  caseView,
  caseViolationView,
  rulePerformanceView,
  snoozeView,
} from '../worker/cases/schemas';
import type { connectorView, runStarted, runView, testView } from '../worker/connectors/schemas';
import type { healthView } from '../worker/health/routes';
import type { pushView } from '../worker/ingest/schemas';
import type { ticketView } from '../worker/live/routes';
import type { adminJobSchema, jobSchema, operationsSchema } from '../worker/operations/routes';
import type { overviewView } from '../worker/overview/schemas';
import type { Page } from '../worker/platform/pagination';
import type {
  impactView,
  policyDetailView,
  policyRuleView,
  policyUploadView,
  policyVersionView,
  policyView,
  regroundView,
  vocabularyView,
} from '../worker/policies/schemas';
import type { reportView, scheduleView as scheduleViewReports } from '../worker/reports/schemas';
import type { accountRiskView, anomalyView, modelView, summaryView } from '../worker/risk/schemas';
import type {
  approvalSettingsBody,
  backtestView,
  ruleDetailView,
  ruleVersionView,
  ruleView,
} from '../worker/rules/schemas';
import type { queuedScanView, scanView, scheduleListItemView, scheduleView } from '../worker/scans/schemas';
import type { entryView, listDetailView, listUploadView, listView, searchView } from '../worker/screening/schemas';
import type { previewView, sourceView, sourceWithSecret } from '../worker/sources/schemas';
import type { checkoutView, planView, subscriptionStatusView, subscriptionView } from '../worker/subscription/schemas';
import type { transactionDetailView, transactionView, uploadReportView } from '../worker/transactions/schemas';
import type { managedUserView } from '../worker/users/schemas';
import type { bulkStatusView, violationDetailView, violationView } from '../worker/violations/schemas';
import type { OpenApiDocument, Problem } from './helpers';

/** Every route the unit tests call, most specific first, with the body of its success answer (from the worker's view schemas). */
export type Routes = [
  [`GET /api/openapi.json${Query}`, OpenApiDocument],
  [`GET /api/policies/${string}/versions/${string}/file${Query}`, unknown],
  [`GET /api/admin/organizations/${string}/usage${Query}`, z.infer<typeof organizationUsageView>],
  [`PATCH /api/admin/organizations/${string}/subscription${Query}`, z.infer<typeof subscriptionView>],
  [`GET /api/screening/lists/${string}/entries${Query}`, Page<z.infer<typeof entryView>>],
  [`DELETE /api/rules/${string}/snoozes/${string}${Query}`, undefined],
  [`GET /api/policies/${string}/versions/${string}${Query}`, z.infer<typeof policyVersionView>],
  [`POST /api/billing/stripe/webhook${Query}`, z.infer<typeof outcome>],
  [`POST /api/risk/models/train${Query}`, z.infer<typeof modelView>],
  [`GET /api/risk/models/current${Query}`, z.infer<typeof modelView>],
  [`GET /api/rules/${string}/versions${Query}`, Page<z.infer<typeof ruleVersionView>>],
  [`POST /api/rules/${string}/approve${Query}`, z.infer<typeof ruleView>],
  [`POST /api/rules/${string}/reject${Query}`, z.infer<typeof ruleView>],
  [`POST /api/rules/${string}/test${Query}`, z.infer<typeof backtestView>],
  [`GET /api/rules/${string}/performance${Query}`, z.infer<typeof rulePerformanceView>],
  [`GET /api/rules/${string}/snoozes${Query}`, z.infer<typeof snoozeView>[]],
  [`POST /api/rules/${string}/snoozes${Query}`, z.infer<typeof snoozeView>],
  [`GET /api/cases/${string}/events${Query}`, z.infer<typeof caseEventView>[]],
  [`GET /api/cases/${string}/violations${Query}`, Page<z.infer<typeof caseViolationView>>],
  [`POST /api/cases/${string}/comments${Query}`, z.infer<typeof caseEventView>],
  [`GET /api/cases/${string}/evidence-pack${Query}`, unknown],
  [`GET /api/scans/schedules/${string}${Query}`, z.infer<typeof scheduleView>],
  [`PATCH /api/scans/schedules/${string}${Query}`, z.infer<typeof scheduleView>],
  [`DELETE /api/scans/schedules/${string}${Query}`, undefined],
  [`POST /api/sources/${string}/rotate-secret${Query}`, z.infer<typeof sourceWithSecret>],
  [`POST /api/sources/${string}/preview${Query}`, z.infer<typeof previewView>],
  [`GET /api/policies/${string}/rules${Query}`, Page<z.infer<typeof policyRuleView>>],
  [`POST /api/policies/${string}/reground${Query}`, z.infer<typeof regroundView>],
  [`GET /api/policies/${string}/impact${Query}`, z.infer<typeof impactView>],
  [`POST /api/alert-channels/${string}/rotate-secret${Query}`, z.infer<typeof channelWithSecret>],
  [`POST /api/alert-channels/${string}/test${Query}`, z.infer<typeof deliveryView>],
  [`POST /api/alert-deliveries/${string}/redeliver${Query}`, z.infer<typeof deliveryView>],
  [`POST /api/connectors/${string}/test${Query}`, z.infer<typeof testView>],
  [`POST /api/connectors/${string}/run${Query}`, z.infer<typeof runStarted>],
  [`GET /api/connectors/${string}/runs${Query}`, Page<z.infer<typeof runView>>],
  [`GET /api/screening/lists/${string}${Query}`, z.infer<typeof listDetailView>],
  [`GET /api/reports/${string}/file${Query}`, unknown],
  [`POST /api/auth/register${Query}`, z.infer<typeof sessionView>],
  [`POST /api/auth/login${Query}`, z.infer<typeof sessionView>],
  [`POST /api/auth/refresh${Query}`, z.infer<typeof sessionView>],
  [`POST /api/auth/logout${Query}`, undefined],
  [`GET /api/auth/me${Query}`, z.infer<typeof meView>],
  [`PATCH /api/auth/me${Query}`, z.infer<typeof meView>],
  [`GET /api/audit/export${Query}`, unknown],
  [`GET /api/audit/verify${Query}`, z.infer<typeof chainVerdictView>],
  [`GET /api/admin/organizations${Query}`, Page<z.infer<typeof organizationSummaryView>>],
  [`GET /api/admin/jobs${Query}`, Page<z.infer<typeof adminJobSchema>>],
  [`GET /api/admin/operations${Query}`, z.infer<typeof operationsSchema>],
  [`GET /api/rules/settings${Query}`, z.infer<typeof approvalSettingsBody>],
  [`PATCH /api/rules/settings${Query}`, z.infer<typeof approvalSettingsBody>],
  [`GET /api/cases/settings${Query}`, z.infer<typeof caseSettingsView>],
  [`PUT /api/cases/settings${Query}`, z.infer<typeof caseSettingsView>],
  [`GET /api/cases/counts${Query}`, z.infer<typeof caseCountsView>],
  [`GET /api/cases/assignees${Query}`, z.infer<typeof assigneeView>[]],
  [`POST /api/cases/bulk${Query}`, z.infer<typeof bulkResult>],
  [`POST /api/scans/schedules${Query}`, z.infer<typeof scheduleView>],
  [`GET /api/scans/schedules${Query}`, Page<z.infer<typeof scheduleListItemView>>],
  [`GET /api/violations/export${Query}`, unknown],
  [`POST /api/violations/bulk-status${Query}`, z.infer<typeof bulkStatusView>],
  [`GET /api/policies/vocabulary${Query}`, z.infer<typeof vocabularyView>],
  [`POST /api/ws/ticket${Query}`, z.infer<typeof ticketView>],
  [`GET /api/subscription/status${Query}`, z.infer<typeof subscriptionStatusView>],
  [`POST /api/subscription/change${Query}`, z.infer<typeof subscriptionView>],
  [`POST /api/subscription/checkout${Query}`, z.infer<typeof checkoutView>],
  [`POST /api/screening/lists${Query}`, z.infer<typeof listUploadView>],
  [`GET /api/screening/lists${Query}`, Page<z.infer<typeof listView>>],
  [`POST /api/screening/search${Query}`, z.infer<typeof searchView>],
  [`GET /api/risk/accounts${Query}`, Page<z.infer<typeof accountRiskView>>],
  [`GET /api/risk/summary${Query}`, z.infer<typeof summaryView>],
  [`GET /api/risk/anomalies${Query}`, Page<z.infer<typeof anomalyView>>],
  [`GET /api/users/${string}${Query}`, z.infer<typeof managedUserView>],
  [`PATCH /api/users/${string}${Query}`, z.infer<typeof managedUserView>],
  [`GET /api/audit/${string}${Query}`, z.infer<typeof auditEntryView>],
  [`GET /api/rules/${string}${Query}`, z.infer<typeof ruleDetailView>],
  [`PUT /api/rules/${string}${Query}`, z.infer<typeof ruleView>],
  [`GET /api/cases/${string}${Query}`, z.infer<typeof caseDetailView>],
  [`PATCH /api/cases/${string}${Query}`, z.infer<typeof caseDetailView>],
  [`GET /api/scans/${string}${Query}`, z.infer<typeof scanView>],
  [`GET /api/violations/${string}${Query}`, z.infer<typeof violationDetailView>],
  [`PATCH /api/violations/${string}${Query}`, z.infer<typeof violationDetailView>],
  [`GET /api/transactions/${string}${Query}`, z.infer<typeof transactionDetailView>],
  [`GET /api/sources/${string}${Query}`, z.infer<typeof sourceView>],
  [`PATCH /api/sources/${string}${Query}`, z.infer<typeof sourceView>],
  [`DELETE /api/sources/${string}${Query}`, undefined],
  [`POST /api/ingest/${string}${Query}`, z.infer<typeof pushView>],
  [`GET /api/policies/${string}${Query}`, z.infer<typeof policyDetailView>],
  [`GET /api/alert-channels/${string}${Query}`, z.infer<typeof channelView>],
  [`PATCH /api/alert-channels/${string}${Query}`, z.infer<typeof channelView>],
  [`DELETE /api/alert-channels/${string}${Query}`, undefined],
  [`DELETE /api/alert-routes/${string}${Query}`, undefined],
  [`GET /api/connectors/${string}${Query}`, z.infer<typeof connectorView>],
  [`PATCH /api/connectors/${string}${Query}`, z.infer<typeof connectorView>],
  [`DELETE /api/connectors/${string}${Query}`, undefined],
  [`GET /api/reports/${string}${Query}`, z.infer<typeof reportView>],
  [`DELETE /api/report-schedules/${string}${Query}`, undefined],
  [`POST /api/users${Query}`, z.infer<typeof managedUserView>],
  [`GET /api/users${Query}`, Page<z.infer<typeof managedUserView>>],
  [`GET /api/audit${Query}`, Page<z.infer<typeof auditEntryView>>],
  [`GET /api/jobs${Query}`, Page<z.infer<typeof jobSchema>>],
  [`POST /api/rules${Query}`, z.infer<typeof ruleView>],
  [`GET /api/rules${Query}`, Page<z.infer<typeof ruleView>>],
  [`GET /api/cases${Query}`, Page<z.infer<typeof caseView>>],
  [`POST /api/cases${Query}`, z.infer<typeof caseDetailView>],
  [`POST /api/scans${Query}`, z.infer<typeof queuedScanView>],
  [`GET /api/scans${Query}`, Page<z.infer<typeof scanView>>],
  [`GET /api/violations${Query}`, Page<z.infer<typeof violationView>>],
  [`POST /api/transactions${Query}`, z.infer<typeof uploadReportView>],
  [`GET /api/transactions${Query}`, Page<z.infer<typeof transactionView>>],
  [`POST /api/sources${Query}`, z.infer<typeof sourceWithSecret>],
  [`GET /api/sources${Query}`, Page<z.infer<typeof sourceView>>],
  [`POST /api/policies${Query}`, z.infer<typeof policyUploadView>],
  [`GET /api/policies${Query}`, Page<z.infer<typeof policyView>>],
  [`GET /api/overview${Query}`, z.infer<typeof overviewView>],
  [`GET /api/plans${Query}`, z.infer<typeof planView>[]],
  [`GET /api/subscription${Query}`, z.infer<typeof subscriptionView>],
  [`POST /api/alert-channels${Query}`, z.infer<typeof channelView> & { signing_secret?: string }],
  [`GET /api/alert-channels${Query}`, Page<z.infer<typeof channelView>>],
  [`POST /api/alert-routes${Query}`, z.infer<typeof routeView>],
  [`GET /api/alert-routes${Query}`, Page<z.infer<typeof routeView>>],
  [`GET /api/alert-deliveries${Query}`, Page<z.infer<typeof deliveryView>>],
  [`POST /api/connectors${Query}`, z.infer<typeof connectorView>],
  [`GET /api/connectors${Query}`, Page<z.infer<typeof connectorView>>],
  [`POST /api/reports${Query}`, z.infer<typeof reportView>],
  [`GET /api/reports${Query}`, Page<z.infer<typeof reportView>>],
  [`POST /api/report-schedules${Query}`, z.infer<typeof scheduleViewReports>],
  [`GET /api/report-schedules${Query}`, z.infer<typeof scheduleViewReports>[]],
  [`GET /health${Query}`, z.infer<typeof healthView>],
  [`GET /metrics${Query}`, unknown],
];

/** A path may carry a query string. */
type Query = '' | `?${string}`;

/** The body of the first route in `List` that `Call` ("METHOD /path?query") matches; unknown if none does. */
type Match<Call extends string, List> = List extends [[infer Pattern, infer Body], ...infer Rest]
  ? Call extends Pattern
    ? Body
    : Match<Call, Rest>
  : unknown;

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What `apiJson(method, path, status)` returns: the route's view on a 2xx answer, a problem otherwise (unknown if the status is not a literal). */
export type ResponseOf<M extends Method, P extends string, S extends number> = number extends S
  ? unknown
  : S extends 200 | 201 | 202 | 204
    ? Match<`${M} ${P}`, Routes>
    : Problem;
