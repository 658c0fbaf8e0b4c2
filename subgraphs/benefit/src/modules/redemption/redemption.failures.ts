import { createLogger, lineLogger } from '@union/common';
import type { DataSource } from 'typeorm';
import type { RedemptionRefusal } from '../voucher/voucher.errors';

let logToStdout: ((line: string) => void) | undefined;
const failureLog = () => (logToStdout ??= lineLogger(createLogger('benefit')));

/**
 * Counts a refused validation or redemption of `partnerId`. Voucher codes are bearer secrets, and
 * validateVoucher answers as much as redeemVoucher does, so both count: a partner (or a stolen
 * partner credential) trying codes shows up here, per minute and reason, for the rate limiter.
 * Counting must never turn a refusal into an internal error, so failures to count are only logged.
 */
export async function countRefusedAttempt(
  db: DataSource,
  partnerId: string,
  reason: RedemptionRefusal,
  log: (line: string) => void = failureLog(),
): Promise<void> {
  try {
    await db.query(
      `INSERT INTO redemption_failures AS f (partner_id, window_start, reason, failures) VALUES ($1, date_trunc('minute', now()), $2, 1)
       ON CONFLICT (partner_id, window_start, reason) DO UPDATE SET failures = f.failures + 1`,
      [partnerId, reason],
    );
  } catch (error) {
    log(`benefit: could not count a refused redemption of partner ${partnerId}: ${(error as Error).message}`);
  }
}

/** Refused attempts of a partner since `since` (minute resolution), by reason. */
export async function refusedAttemptsSince(db: DataSource, partnerId: string, since: Date): Promise<Record<string, number>> {
  const rows: Array<{ reason: string; n: string }> = await db.query(
    `SELECT reason, sum(failures) AS n FROM redemption_failures WHERE partner_id = $1 AND window_start >= date_trunc('minute', $2::timestamptz) GROUP BY reason`,
    [partnerId, since],
  );
  return Object.fromEntries(rows.map((r) => [r.reason, Number(r.n)]));
}
