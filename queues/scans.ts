import type { Env } from '../worker/env';
import { log } from '../worker/platform/log';
import type { ScanQueueMessage } from './messages';

/** The scans queue consumer: each message is handled on its own, then acked or retried with backoff. */
export async function consumeScanQueue(batch: MessageBatch<ScanQueueMessage>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    try {
      await processScanMessage(env, message.body, { deadLettered: batch.queue.endsWith('-dlq') });
      message.ack();
    } catch (error) {
      log('warn', 'scan chunk failed; will retry', { queue: batch.queue, attempts: message.attempts, error: String(error) });
      message.retry({ delaySeconds: Math.min(2 ** message.attempts, 60) });
    }
  }
}

export async function processScanMessage(_env: Env, body: ScanQueueMessage, _options: { deadLettered: boolean }): Promise<void> {
  throw new Error(`scan processing is not built yet (${body.kind})`);
}
