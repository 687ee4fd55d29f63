import { BACKGROUND_LIMITS, withDatabase } from '../db/client';
import type { Env } from '../worker/env';
import { log } from '../worker/platform/log';
import { failDeadLetteredChunk, processScanChunk, recordChunkFailure } from '../worker/scans/chunks';
import type { ScanQueueMessage } from './messages';

const MAX_RETRY_DELAY_SECONDS = 300;

/**
 * The scans queue consumer, and the dead-letter consumer: each message is handled on its own, then
 * acked or retried with exponential backoff (2, 4, 8, 16 ... seconds). After the queue's max_retries the message
 * lands on the dead-letter queue, which fails its scan.
 */
export async function consumeScanQueue(batch: MessageBatch<ScanQueueMessage>, env: Env): Promise<void> {
  const deadLettered = batch.queue.endsWith('-dlq');
  for (const message of batch.messages) {
    try {
      if (deadLettered) await processDeadLetter(env, message.body);
      else await processScanMessage(env, message.body);
      message.ack();
    } catch (error) {
      log('warn', 'scan chunk failed; will retry', {
        queue: batch.queue,
        scan_id: message.body.scanId,
        chunk: message.body.chunk,
        attempts: message.attempts,
        error: String(error),
      });
      // Best effort: the cause only improves the scan's final error; the retry must happen regardless.
      if (!deadLettered)
        await withDatabase(env.HYPERDRIVE.connectionString, BACKGROUND_LIMITS, (db) =>
          recordChunkFailure(db, message.body, error),
        ).catch(() => undefined);
      message.retry({ delaySeconds: Math.min(2 ** message.attempts, MAX_RETRY_DELAY_SECONDS) });
    }
  }
}

/** Evaluates one chunk of a scan; throws when it should be retried. */
export async function processScanMessage(env: Env, body: ScanQueueMessage): Promise<void> {
  await withDatabase(env.HYPERDRIVE.connectionString, BACKGROUND_LIMITS, (db) => processScanChunk(env, db, body));
}

/** A chunk that exhausted its retries: its scan ends `failed` with the reason. */
export async function processDeadLetter(env: Env, body: ScanQueueMessage): Promise<void> {
  await withDatabase(env.HYPERDRIVE.connectionString, BACKGROUND_LIMITS, (db) => failDeadLetteredChunk(env, db, body));
}
