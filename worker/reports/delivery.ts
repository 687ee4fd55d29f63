import { sql } from 'drizzle-orm';
import { alertDeliveries, type reports } from '../../db/schema';
import type { Tx } from '../../db/tenant';
import type { AlertPayload } from '../alerts/render';
import type { EmailAttachment } from '../alerts/senders';
import type { Env } from '../env';
import { REPORT_TYPE_LABELS, type ReportType } from './kinds';
import { reportFileName, reportObjectKey } from './storage';

type ReportRow = typeof reports.$inferSelect;

/** Files larger than this go by link only: mail servers commonly refuse messages over 10-25 MB. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

/**
 * What `report.ready` carries: the report, and the link to it on the dashboard (Slack and
 * webhooks), where a signed-in member downloads it. Email carries the file itself as well.
 */
export function reportReadyData(row: ReportRow, appBaseUrl: string | undefined): Record<string, unknown> {
  const base = appBaseUrl?.replace(/\/$/, '');
  return {
    report_id: row.id,
    report_type: row.type,
    title: `${REPORT_TYPE_LABELS[row.type as ReportType]} ${row.rangeFrom.toISOString().slice(0, 10)} to ${row.rangeTo.toISOString().slice(0, 10)}`,
    format: row.format,
    from: row.rangeFrom.toISOString(),
    to: row.rangeTo.toISOString(),
    file_name: reportFileName(row),
    size: row.size,
    sha256: row.sha256,
    schedule_id: row.scheduleId,
    url: base ? `${base}/reports?report=${row.id}` : null,
    download_path: `/api/reports/${row.id}/file`,
  };
}

/** A delivery of `report.ready` to one channel (a schedule's), written in the caller's transaction. */
export async function insertReportDelivery(tx: Tx, orgId: string, channelId: string, data: Record<string, unknown>) {
  const [row] = await tx
    .insert(alertDeliveries)
    .values({
      orgId,
      channelId,
      eventType: 'report.ready',
      payload: sql`jsonb_build_object('type', 'report.ready',
        'timestamp', to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'data', ${JSON.stringify(data)}::jsonb)`,
    })
    .returning({ id: alertDeliveries.id, orgId: alertDeliveries.orgId, round: alertDeliveries.round });
  return row!;
}

/** The report's file for an email of `report.ready`, when it is small enough to attach. */
export async function reportAttachments(env: Env, orgId: string, payload: AlertPayload): Promise<EmailAttachment[]> {
  if (payload.type !== 'report.ready') return [];
  const { report_id: reportId, file_name: fileName, size } = payload.data;
  if (typeof reportId !== 'string' || typeof fileName !== 'string') return [];
  if (typeof size === 'number' && size > MAX_ATTACHMENT_BYTES) return [];
  const object = await env.REPORT_FILES.get(reportObjectKey(orgId, reportId, fileName));
  if (!object) return [];
  const bytes = new Uint8Array(await object.arrayBuffer());
  return [
    {
      filename: fileName,
      content: base64(bytes),
      mimeType: fileName.endsWith('.pdf') ? 'application/pdf' : 'text/csv',
    },
  ];
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
