import type { DataSource } from 'typeorm';
import { EXPIRY_JOB_ACTOR, expireDueLots, inTransaction, lockAccount } from './points.ledger';

export interface ExpiryRunResult {
  /** Members who had points expire in this run. */
  members: number;
  /** Points expired in this run. */
  points: number;
}

/**
 * Writes an EXPIRE line for every member with lots due by `dueBy` (default: now). Each member is
 * handled in its own short transaction under the account lock, the same lock every spend and
 * award takes, so a run can overlap other runs, spends and cancellations: whichever comes second
 * finds the lots already empty and writes nothing. Running it twice is therefore harmless.
 * `signal` stops the run between two members (a run on 1 January can take hours); the next run
 * picks up the members it did not reach.
 */
export async function runExpiry(db: DataSource, options: { dueBy?: Date; batchSize?: number; signal?: AbortSignal } = {}): Promise<ExpiryRunResult> {
  const batchSize = options.batchSize ?? 500;
  const dueBy = options.dueBy ?? new Date();
  const result: ExpiryRunResult = { members: 0, points: 0 };
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const batch: Array<{ member_id: string }> = await db.query(
      `SELECT DISTINCT member_id FROM points_lots
        WHERE remaining > 0 AND expires_at <= $1 AND member_id > $2
        ORDER BY member_id LIMIT $3`,
      [dueBy, after, batchSize],
    );
    for (const { member_id: memberId } of batch) {
      if (options.signal?.aborted) return result;
      const expired = await inTransaction(db, async (sql) => {
        const account = await lockAccount(sql, memberId, { create: false });
        return account ? expireDueLots(sql, memberId, account.now, options.dueBy ?? account.now, EXPIRY_JOB_ACTOR) : 0;
      });
      if (expired > 0) {
        result.members += 1;
        result.points += expired;
      }
    }
    if (batch.length < batchSize) return result;
    after = batch[batch.length - 1].member_id;
  }
}

/**
 * The expiry timer inside the subgraph: a run every `intervalSeconds` (never two at once in this
 * process; other processes are safe anyway, see runExpiry). Answers a function that stops it: a
 * run under way stops after the member at hand, so shutting down does not wait for a whole run.
 */
export function scheduleExpiry(db: DataSource, intervalSeconds: number, log: (line: string) => void): () => Promise<void> {
  if (intervalSeconds <= 0) return async () => undefined;
  let running: Promise<void> | null = null;
  const stopping = new AbortController();
  const tick = () => {
    if (running || !db.isInitialized) return;
    running = runExpiry(db, { signal: stopping.signal })
      .then((r) => {
        if (r.points > 0) log(`points expiry: ${r.points} points expired for ${r.members} members`);
      })
      .catch((error: unknown) => log(`points expiry failed: ${(error as Error).message}`))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, intervalSeconds * 1000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    stopping.abort();
    await running;
  };
}
