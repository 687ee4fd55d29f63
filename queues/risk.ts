import { BACKGROUND_LIMITS, withDatabase } from '../db/client';
import type { Env } from '../worker/env';
import { log } from '../worker/platform/log';
import { consumeRiskMessage, failTraining } from '../worker/risk/training';
import type { RiskQueueMessage } from './messages';

// wrangler.toml's max_retries for the queue: the last attempt of a training run records its failure.
const MAX_ATTEMPTS = 4;

/** The risk queue consumer: training runs and the scoring chunks they queue, one message at a time. */
export async function consumeRiskQueue(batch: MessageBatch<RiskQueueMessage>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    await withDatabase(env.HYPERDRIVE.connectionString, BACKGROUND_LIMITS, async (db) => {
      try {
        await consumeRiskMessage(env, db, message.body);
        message.ack();
      } catch (error) {
        log('warn', 'risk message failed', {
          kind: message.body.kind,
          attempts: message.attempts,
          error: String(error),
        });
        if (message.body.kind === 'risk.train' && message.attempts >= MAX_ATTEMPTS) {
          await failTraining(
            env,
            db,
            message.body.orgId,
            message.body.modelId,
            'The training failed; ask again.',
          ).catch(() => undefined);
          message.ack();
        } else message.retry({ delaySeconds: Math.min(2 ** message.attempts, 300) });
      }
    });
  }
}
