import { BACKGROUND_LIMITS, type Database, withDatabase } from '../db/client';
import { consumeAlertQueue } from '../queues/alerts';
import { consumeConnectorQueue } from '../queues/connectors';
import type {
  AlertQueueMessage,
  ConnectorRunMessage,
  ReportRunMessage,
  RiskQueueMessage,
  ScanQueueMessage,
} from '../queues/messages';
import { consumeReportQueue } from '../queues/reports';
import { consumeRiskQueue } from '../queues/risk';
import { consumeScanQueue } from '../queues/scans';
import { sweepAlerts } from './alerts/sweeper';
import { app } from './app';
import { sweepCaseDeadlines } from './cases/deadlines';
import { runDueConnectors } from './connectors/runs';
import type { Env } from './env';
import { log } from './platform/log';
import { flushMetrics } from './platform/metrics';
import { runDueReportSchedules } from './reports/schedules';
import { retrainModels } from './risk/training';
import { runDueSchedules } from './scans/schedules';
import { rolloverUsage } from './transactions/metering';

export { MetricsAggregator } from '../durable-objects/metrics-aggregator';
export { OrgHub } from '../durable-objects/org-hub';
export { RateLimiter } from '../durable-objects/rate-limiter';

type CronJob = (env: Env, db: Database, at: Date) => Promise<number>;

/** The Cron Triggers of wrangler.toml, each with what it runs. */
const CRON_JOBS: Record<string, CronJob[]> = {
  '* * * * *': [runDueSchedules, sweepAlerts, sweepCaseDeadlines, runDueConnectors, runDueReportSchedules],
  '0 0 1 * *': [rolloverUsage],
  '0 3 * * 1': [retrainModels],
};

type QueueMessage = ScanQueueMessage | AlertQueueMessage | ConnectorRunMessage | ReportRunMessage | RiskQueueMessage;

/** Each queue's consumer: the alerts queues (and their dead letters), the connectors', the reports', the risk models', or the scans'. */
function consumeQueue(batch: MessageBatch<QueueMessage>, env: Env): Promise<void> {
  if (batch.queue.startsWith('nitilens-alerts'))
    return consumeAlertQueue(batch as MessageBatch<AlertQueueMessage>, env);
  if (batch.queue === 'nitilens-connectors')
    return consumeConnectorQueue(batch as MessageBatch<ConnectorRunMessage>, env);
  if (batch.queue === 'nitilens-reports') return consumeReportQueue(batch as MessageBatch<ReportRunMessage>, env);
  if (batch.queue === 'nitilens-risk') return consumeRiskQueue(batch as MessageBatch<RiskQueueMessage>, env);
  return consumeScanQueue(batch as MessageBatch<ScanQueueMessage>, env);
}

export default {
  fetch: app.fetch,
  async queue(batch, env, ctx) {
    try {
      await consumeQueue(batch, env);
    } finally {
      ctx.waitUntil(flushMetrics(env));
    }
  },
  async scheduled(controller, env, ctx) {
    try {
      await runCron(controller, env);
    } finally {
      ctx.waitUntil(flushMetrics(env));
    }
  },
} satisfies ExportedHandler<Env, QueueMessage>;

/** One Cron Trigger's jobs, each on its own. */
async function runCron(controller: ScheduledController, env: Env): Promise<void> {
  const jobs = CRON_JOBS[controller.cron];
  if (!jobs) {
    log('warn', 'cron without a job', { cron: controller.cron });
    return;
  }
  await withDatabase(env.HYPERDRIVE.connectionString, BACKGROUND_LIMITS, async (db) => {
    // Each job on its own: one that fails does not keep the others from running, and still fails the run.
    const failures: unknown[] = [];
    for (const job of jobs) {
      try {
        const handled = await job(env, db, new Date(controller.scheduledTime));
        // A minute with nothing to do is not news: 5,760 such lines a day said nothing.
        if (handled > 0) log('info', 'cron', { cron: controller.cron, job: job.name, handled });
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw failures.length === 1 ? failures[0] : new AggregateError(failures);
  });
}
