import { BACKGROUND_LIMITS, withDatabase } from '../db/client';
import type { Env } from '../worker/env';
import { log } from '../worker/platform/log';
import { generateReport } from '../worker/reports/service';
import type { ReportRunMessage } from './messages';

/**
 * The reports queue consumer: one message, one report. A report records its own failure, so a
 * message is retried only when even that could not be written.
 */
export async function consumeReportQueue(batch: MessageBatch<ReportRunMessage>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    await withDatabase(env.HYPERDRIVE.connectionString, BACKGROUND_LIMITS, async (db) => {
      try {
        await generateReport(env, db, message.body.orgId, message.body.reportId);
        message.ack();
      } catch (error) {
        log('warn', 'report message failed; will retry', { report_id: message.body.reportId, error: String(error) });
        message.retry({ delaySeconds: Math.min(2 ** message.attempts, 300) });
      }
    });
  }
}
