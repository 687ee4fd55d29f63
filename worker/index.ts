import { consumeScanQueue } from '../queues/scans';
import type { ScanQueueMessage } from '../queues/messages';
import { app } from './app';
import type { Env } from './env';
import { log } from './platform/log';

export { OrgHub } from '../durable-objects/org-hub';
export { RateLimiter } from '../durable-objects/rate-limiter';

export default {
  fetch: app.fetch,
  queue: consumeScanQueue,
  async scheduled(controller, _env, _ctx) {
    log('info', 'cron', { cron: controller.cron });
  },
} satisfies ExportedHandler<Env, ScanQueueMessage>;
