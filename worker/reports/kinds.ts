/** The reports' enumerations, in a module of their own so that the dashboard can import them. */

/**
 * What a report holds. The contract's four, plus `transactions` (the issue asks for a
 * transactions CSV; a careful API user would expect it beside the other exports).
 */
export const REPORT_TYPES = ['compliance_summary', 'violations', 'cases', 'transactions', 'audit'] as const;
export type ReportType = (typeof REPORT_TYPES)[number];
export type CsvReportType = Exclude<ReportType, 'compliance_summary'>;

export const REPORT_FORMATS = ['pdf', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The summary is a PDF; every other type is a CSV export. */
export const FORMAT_OF: Record<ReportType, ReportFormat> = {
  compliance_summary: 'pdf',
  violations: 'csv',
  cases: 'csv',
  transactions: 'csv',
  audit: 'csv',
};

export const REPORT_STATUSES = ['queued', 'running', 'completed', 'failed'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

export const CADENCES = ['daily', 'weekly'] as const;
export type Cadence = (typeof CADENCES)[number];

export const REPORT_TYPE_LABELS: Record<ReportType, string> = {
  compliance_summary: 'Compliance summary',
  violations: 'Violations',
  cases: 'Cases',
  transactions: 'Transactions',
  audit: 'Audit log',
};
