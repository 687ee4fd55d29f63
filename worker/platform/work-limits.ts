import { BACKTEST_LIMITS } from '../../db/client';
import { orgHub } from '../../durable-objects/org-hub';
import type { Env } from '../env';
import { ApiError } from './errors';

/** Rule tests and policy impact reports running at once, per organization. */
export const CONCURRENT_BACKTESTS = 2;
/** A slot whose Worker died is free again after this: longer than any backtest can run. */
const BACKTEST_LEASE_MS = BACKTEST_LIMITS.statementMs * 4;

/**
 * Runs `work` in one of the organization's backtest slots, or answers 429 with Retry-After when
 * they are all taken: one organization's heavy tests cannot take every database connection.
 */
export async function withBacktestSlot<T>(env: Env, orgId: string, work: () => Promise<T>): Promise<T> {
  const hub = orgHub(env, orgId);
  const grant = await hub.acquireWorkSlot('backtest', CONCURRENT_BACKTESTS, BACKTEST_LEASE_MS);
  if (!grant.granted) {
    throw new ApiError(
      'too_many_requests',
      `Your organization already has ${grant.running} rule tests or impact reports running (at most ${CONCURRENT_BACKTESTS} at once). Try again when one finishes.`,
      { limit: CONCURRENT_BACKTESTS, running: grant.running },
      { 'Retry-After': String(grant.retryAfter) },
    );
  }
  try {
    return await work();
  } finally {
    await hub.releaseWorkSlot('backtest', grant.token);
  }
}
