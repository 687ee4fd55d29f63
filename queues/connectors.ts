import { API_LIMITS, withDatabase } from '../db/client';
import { processConnectorRun } from '../worker/connectors/runs';
import type { Env } from '../worker/env';
import { log } from '../worker/platform/log';
import type { ConnectorRunMessage } from './messages';

/**
 * The connectors queue consumer: one message, one run. A run records its own failure (and the next
 * run resumes from its cursor), so a message is retried only when even that could not be written.
 */
export async function consumeConnectorQueue(batch: MessageBatch<ConnectorRunMessage>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    await withDatabase(env.HYPERDRIVE.connectionString, API_LIMITS, async (db) => {
      try {
        await processConnectorRun(env, db, message.body.orgId, message.body.runId);
        message.ack();
      } catch (error) {
        log('warn', 'connector run message failed; will retry', { run_id: message.body.runId, error: String(error) });
        message.retry({ delaySeconds: Math.min(2 ** message.attempts, 300) });
      }
    });
  }
}
