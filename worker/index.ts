import { createDatabaseClient } from '../db/client';
import { consumeScanQueue } from '../queues/scans';
import type { ScanQueueMessage } from '../queues/messages';
import { app } from './app';
import type { Env } from './env';
import { log } from './platform/log';
import { runDueSchedules } from './scans/schedules';

export { OrgHub } from '../durable-objects/org-hub';
export { RateLimiter } from '../durable-objects/rate-limiter';

const EVERY_MINUTE = '* * * * *';

export default {
  fetch: app.fetch,
  queue: consumeScanQueue,
  async scheduled(controller, env, _ctx) {
    log('info', 'cron', { cron: controller.cron });
    if (controller.cron !== EVERY_MINUTE) return;
    const client = createDatabaseClient(env.HYPERDRIVE.connectionString);
    try {
      const started = await runDueSchedules(env, client.db, new Date(controller.scheduledTime));
      if (started > 0) log('info', 'scheduled scans started', { started });
    } finally {
      await client.close();
    }
  },
} satisfies ExportedHandler<Env, ScanQueueMessage>;
