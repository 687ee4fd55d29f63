/**
 * API types, inferred from the worker's own zod schemas (type-only imports: nothing of the worker
 * ships in the bundle), so a renamed or removed field fails `npm run build:web`.
 */
import type { z } from 'zod';
import type { channelView, channelWithSecret, deliveryView, routeView } from '../../../worker/alerts/schemas';
import type { auditEntryView, chainVerdictView } from '../../../worker/audit/schemas';
import type {
  assigneeView,
  caseCountsView,
  caseDetailView,
  caseEventView,
  caseSettingsView,
  caseView,
  caseViolationView,
  rulePerformanceView,
  snoozeView,
} from '../../../worker/cases/schemas';
import type { connectorView, runView, testView } from '../../../worker/connectors/schemas';
import type { JobKind, JobStatus } from '../../../worker/operations/kinds';
import type { overviewView } from '../../../worker/overview/schemas';
import type {
  clauseView,
  impactView,
  policyDetailView,
  policyRuleView,
  policyUploadView,
  policyView,
} from '../../../worker/policies/schemas';
import type { scheduleView as reportScheduleView, reportView } from '../../../worker/reports/schemas';
import type { accountRiskView, anomalyView, modelView, summaryView } from '../../../worker/risk/schemas';
import type { backtestView, ruleBody, ruleDetailView, ruleVersionView, ruleView } from '../../../worker/rules/schemas';
import type { queuedScanView, scanView, scheduleListItemView, scheduleView } from '../../../worker/scans/schemas';
import type { SourceMapping } from '../../../worker/sources/mapping';
import type { previewView, sourceView, sourceWithSecret } from '../../../worker/sources/schemas';
import type { LimitName } from '../../../worker/subscription/catalogue';
import type { planView, subscriptionStatusView, subscriptionView } from '../../../worker/subscription/schemas';
import type { transactionDetailView, transactionView, uploadReportView } from '../../../worker/transactions/schemas';
import type { ASSIGNABLE_ROLES, createUserBody, managedUserView } from '../../../worker/users/schemas';
import type {
  updateViolationBody,
  VIOLATION_STATUSES,
  violationDetailView,
  violationView,
} from '../../../worker/violations/schemas';

/** Every list endpoint's page (worker/platform/pagination.ts). */
export type { Page } from '../../../worker/platform/pagination';

export type ManagedUser = z.infer<typeof managedUserView>;
export type CreateUserInput = z.infer<typeof createUserBody>;
export type AssignableRole = (typeof ASSIGNABLE_ROLES)[number];
export type AuditEntry = z.infer<typeof auditEntryView>;
export type ChainVerdict = z.infer<typeof chainVerdictView>;
export type Scan = z.infer<typeof scanView>;
export type QueuedScan = z.infer<typeof queuedScanView>;
export type ScanSchedule = z.infer<typeof scheduleView>;
export type ScanScheduleListItem = z.infer<typeof scheduleListItemView>;
export type Rule = z.infer<typeof ruleView>;
export type RuleDetail = z.infer<typeof ruleDetailView>;
export type RuleVersion = z.infer<typeof ruleVersionView>;
export type RuleInput = z.input<typeof ruleBody>;
export type Backtest = z.infer<typeof backtestView>;
export type Violation = z.infer<typeof violationView>;
export type ViolationDetail = z.infer<typeof violationDetailView>;
export type ViolationStatus = (typeof VIOLATION_STATUSES)[number];
export type ViolationUpdate = z.infer<typeof updateViolationBody>;
export type PolicySummary = z.infer<typeof policyView>;
export type PolicyDetail = z.infer<typeof policyDetailView>;
export type PolicyClause = z.infer<typeof clauseView>;
export type PolicyUploadResult = z.infer<typeof policyUploadView>;
export type PolicyImpact = z.infer<typeof impactView>;
export type DraftRule = z.infer<typeof policyRuleView>;
export type Transaction = z.infer<typeof transactionView>;
export type TransactionDetail = z.infer<typeof transactionDetailView>;
export type IngestReport = z.infer<typeof uploadReportView>;
export type Source = z.infer<typeof sourceView>;
export type Connector = z.infer<typeof connectorView>;
export type ConnectorRun = z.infer<typeof runView>;
export type ConnectorTest = z.infer<typeof testView>;
export type SourceSecret = z.infer<typeof sourceWithSecret>;
export type MappingPreview = z.infer<typeof previewView>;
export type { SourceMapping };
/** GET /api/subscription, GET /api/plans, GET /api/subscription/status. */
export type Subscription = z.infer<typeof subscriptionView>;
export type Plan = z.infer<typeof planView>;
export type SubscriptionStatus = z.infer<typeof subscriptionStatusView>;
/** A 409 to a downgrade: each limit the current usage exceeds. */
export type ExceededLimit = { limit: LimitName; used: number; allowed: number };

/** GET /api/overview. */
export type SeverityCounts = Overview['open_violations'];
export type Overview = z.infer<typeof overviewView>;

export type AlertChannel = z.infer<typeof channelView>;
/** A webhook channel's answer on creation or rotation: its signing secret, shown once. */
export type AlertChannelSecret = z.infer<typeof channelWithSecret>;
export type AlertRoute = z.infer<typeof routeView>;
export type AlertDelivery = z.infer<typeof deliveryView>;

export type Case = z.infer<typeof caseView>;
export type CaseDetail = z.infer<typeof caseDetailView>;
export type CaseViolation = z.infer<typeof caseViolationView>;
export type CaseAssignee = z.infer<typeof assigneeView>;
export type CaseEvent = z.infer<typeof caseEventView>;
export type CaseCounts = z.infer<typeof caseCountsView>;
export type CaseSettings = z.infer<typeof caseSettingsView>;
export type RulePerformance = z.infer<typeof rulePerformanceView>;
export type RuleSnooze = z.infer<typeof snoozeView>;

/** A background job (GET /api/jobs); `org_id` in the operators' listing (GET /api/admin/jobs). */
export type Job = {
  id: string;
  kind: JobKind;
  status: JobStatus;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  error: string | null;
  org_id?: string;
};

/** GET /api/admin/operations. */
export type OperationsOverview = {
  requests: { method: string; route: string; total: number; server_errors: number; error_rate: number }[];
  jobs: { kind: string; total: number; failed: number; error_rate: number }[];
  slow_statements: { digest: string; statement: string; duration_ms: number; at: string }[];
};
export type Report = z.infer<typeof reportView>;
export type ReportSchedule = z.infer<typeof reportScheduleView>;
export type RiskModel = z.infer<typeof modelView>;
export type AccountRisk = z.infer<typeof accountRiskView>;
export type RiskSummary = z.infer<typeof summaryView>;
export type Anomaly = z.infer<typeof anomalyView>;
