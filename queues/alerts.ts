import { BACKGROUND_LIMITS, withDatabase } from '../db/client';
import { deliverAlerts, failDeadLettered } from '../worker/alerts/dispatch';
import type { Env } from '../worker/env';
import { log } from '../worker/platform/log';
import type { AlertQueueMessage } from './messages';

const MAX_RETRY_DELAY_SECONDS = 300;

/**
 * The alerts queue consumer, and its dead-letter consumer. A batch's deliveries are attempted
 * together (worker/alerts/dispatch.ts); each message is then acked, or retried after the delay its
 * delivery's schedule says. When the consumer itself fails (the database unreachable), every
 * message is retried with backoff; after the queue's max_retries it is dead-lettered, and the
 * dead-letter consumer marks its delivery failed.
 */
export async function consumeAlertQueue(batch: MessageBatch<AlertQueueMessage>, env: Env): Promise<void> {
  const bodies = batch.messages.map((message) => message.body);
  await withDatabase(env.HYPERDRIVE.connectionString, BACKGROUND_LIMITS, async (db) => {
    try {
      if (batch.queue.endsWith('-dlq')) {
        await failDeadLettered(env, db, bodies);
        for (const message of batch.messages) message.ack();
        return;
      }
      const decisions = await deliverAlerts(env, db, bodies);
      batch.messages.forEach((message, index) => {
        const retryAfter = decisions[index]?.retryAfter;
        if (retryAfter === undefined) message.ack();
        else message.retry({ delaySeconds: retryAfter });
      });
    } catch (error) {
      log('warn', 'alert batch failed; will retry', {
        queue: batch.queue,
        messages: bodies.length,
        error: String(error),
      });
      for (const message of batch.messages)
        message.retry({ delaySeconds: Math.min(2 ** message.attempts, MAX_RETRY_DELAY_SECONDS) });
    }
  });
}
