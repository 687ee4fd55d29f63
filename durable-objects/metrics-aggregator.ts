import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../worker/env';
import type { Batch, Deltas, SlowStatement } from '../worker/platform/metrics';

/** Isolates silent this long are forgotten (their last sequence number is only needed for retries). */
const SOURCE_TTL_MS = 24 * 60 * 60 * 1000;
const SLOW_KEPT = 50;

/**
 * One shard of the deployment's metrics (worker/platform/metrics.ts): the running totals of
 * every series the isolates handed to it, in its SQLite storage, so a restart loses nothing.
 * Each isolate's batches carry increasing sequence numbers; a batch at or below the last one
 * applied is a retry of one already counted and changes nothing.
 */
export class MetricsAggregator extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      const sql = ctx.storage.sql;
      sql.exec('create table if not exists series (key text primary key, value real not null)');
      sql.exec(
        'create table if not exists sources (source text primary key, seq integer not null, seen integer not null)',
      );
      sql.exec(
        'create table if not exists slow (at text not null, digest text not null, statement text not null, duration_ms real not null)',
      );
    });
  }

  /** Applies a batch once; answers whether it was new. */
  async add(batch: Batch): Promise<boolean> {
    const sql = this.ctx.storage.sql;
    return this.ctx.storage.transactionSync(() => {
      const last = sql.exec<{ seq: number }>('select seq from sources where source = ?', batch.source).toArray()[0];
      if (last && last.seq >= batch.seq) return false;
      for (const [key, value] of Object.entries(batch.deltas)) {
        sql.exec(
          'insert into series (key, value) values (?, ?) on conflict (key) do update set value = value + excluded.value',
          key,
          value,
        );
      }
      for (const slow of batch.slow) {
        sql.exec('insert into slow values (?, ?, ?, ?)', slow.at, slow.digest, slow.statement, slow.duration_ms);
      }
      if (batch.slow.length > 0) {
        sql.exec(`delete from slow where rowid not in (select rowid from slow order by at desc limit ${SLOW_KEPT})`);
      }
      const now = Date.now();
      sql.exec(
        'insert into sources values (?, ?, ?) on conflict (source) do update set seq = excluded.seq, seen = excluded.seen',
        batch.source,
        batch.seq,
        now,
      );
      sql.exec('delete from sources where seen < ?', now - SOURCE_TTL_MS);
      return true;
    });
  }

  async read(): Promise<{ series: Deltas; slow: SlowStatement[] }> {
    const sql = this.ctx.storage.sql;
    const series: Deltas = {};
    for (const row of sql.exec<{ key: string; value: number }>('select key, value from series'))
      series[row.key] = row.value;
    const slow = sql
      .exec<SlowStatement>('select at, digest, statement, duration_ms from slow order by at desc')
      .toArray()
      .map((row) => ({ ...row }));
    return { series, slow };
  }
}
