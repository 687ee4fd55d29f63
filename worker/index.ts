import { createDatabaseClient } from '../db/client';
import type { ScanQueueMessage } from '../queues/messages';
import { consumeScanQueue } from '../queues/scans';
import { app } from './app';
import type { Env } from './env';
import { log } from './platform/log';
import { runDueSchedules } from './scans/schedules';
import { rolloverUsage } from './transactions/metering';

export { OrgHub } from '../durable-objects/org-hub';
export { RateLimiter } from '../durable-objects/rate-limiter';

/** The Cron Triggers of wrangler.toml, each with what it runs. */
const CRON_JOBS: Record<
  string,
  (env: Env, db: ReturnType<typeof createDatabaseClient>['db'], at: Date) => Promise<number>
> = {
  '* * * * *': runDueSchedules,
  '0 0 1 * *': rolloverUsage,
};

export default {
  fetch: app.fetch,
  queue: consumeScanQueue,
  async scheduled(controller, env, _ctx) {
    const job = CRON_JOBS[controller.cron];
    if (!job) {
      log('warn', 'cron without a job', { cron: controller.cron });
      return;
    }
    const client = createDatabaseClient(env.HYPERDRIVE.connectionString);
    try {
      const handled = await job(env, client.db, new Date(controller.scheduledTime));
      log('info', 'cron', { cron: controller.cron, handled });
    } finally {
      await client.close();
    }
  },
} satisfies ExportedHandler<Env, ScanQueueMessage>;
