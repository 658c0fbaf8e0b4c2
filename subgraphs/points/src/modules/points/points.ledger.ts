import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { PointsTransactionEntity, PointsRule, PointsTransactionKind } from './points.entity';
import { transactionFromRow } from './points.loaders';

/**
 * The ledger's primitives. Every change to a member's points happens inside one database
 * transaction that first locks the member's account row, so changes of one member are serialized
 * by PostgreSQL (not by this process) and the running balance, the transaction lines and the
 * earned lots move together:
 *
 *   account.balance == sum(transactions.amount) == sum(lots.remaining)
 *
 * Every line's balanceAfter is the account's balance as returned by the same statement that
 * changed it, and the account's CHECK (balance >= 0) refuses any overdraft.
 */

/** Raw SQL inside one transaction; answers rows for every statement (UPDATE ... RETURNING included). */
export interface Sql {
  rows<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
}

/** Who wrote a line: a partner, a member, or a job of this service. */
export interface LedgerActor {
  kind: string;
  id: string;
}

export const EXPIRY_JOB_ACTOR: LedgerActor = { kind: 'SYSTEM', id: 'points-expiry' };

export async function inTransaction<T>(db: DataSource, work: (sql: Sql) => Promise<T>): Promise<T> {
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    const sql: Sql = {
      async rows<R>(text: string, params?: unknown[]) {
        const result = await runner.query(text, params, true);
        return (result.records ?? []) as R[];
      },
    };
    try {
      const outcome = await work(sql);
      await runner.commitTransaction();
      return outcome;
    } catch (error) {
      // A failed rollback must not hide why we rolled back; the connection is discarded on release anyway.
      await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    }
  } finally {
    await runner.release();
  }
}

export interface LockedAccount {
  balance: number;
  /** The database clock once the lock is held: every line of this transaction is stamped with it. */
  now: Date;
}

/**
 * Locks the member's account for the rest of the transaction (creating it first when asked).
 * Answers null when the member has no account and none was to be created.
 */
export async function lockAccount(sql: Sql, memberId: string, options: { create: boolean }): Promise<LockedAccount | null> {
  // clock_timestamp() is read after the row lock is granted, so lines of one member are stamped in lock order.
  const lock = () =>
    sql.rows<{ balance: string; now: Date }>(
      `WITH locked AS (SELECT balance FROM points_accounts WHERE member_id = $1 FOR UPDATE)
       SELECT balance, clock_timestamp() AS now FROM locked`,
      [memberId],
    );
  let [row] = await lock();
  // Accounts are opened by their first award; lock first so that existing accounts cost one statement.
  if (!row && options.create) {
    await sql.rows(`INSERT INTO points_accounts (member_id) VALUES ($1) ON CONFLICT DO NOTHING`, [memberId]);
    [row] = await lock();
  }
  return row ? { balance: Number(row.balance), now: row.now } : null;
}

interface LineRequest {
  memberId: string;
  kind: PointsTransactionKind;
  /** Signed change of the balance. */
  amount: number;
  /** Added to lifetime_earned (EARN only). */
  earned: number;
  rule: PointsRule | null;
  sourceRef: string | null;
  at: Date;
  actor: LedgerActor;
}

/**
 * Moves the balance and writes the line in one statement; answers null (writing nothing) when the
 * balance would go negative.
 */
async function appendLine(sql: Sql, line: LineRequest): Promise<PointsTransactionEntity | null> {
  const rows = await sql.rows(
    `WITH account AS (
       UPDATE points_accounts
          SET balance = balance + $3::bigint, lifetime_earned = lifetime_earned + $4::bigint, updated_at = $8
        WHERE member_id = $2 AND balance + $3::bigint >= 0
        RETURNING balance)
     INSERT INTO points_transactions (id, member_id, kind, amount, balance_after, rule, source_ref, created_at, actor_kind, actor_id)
     SELECT $1, $2, $5, $3::bigint, account.balance, $6, $7, $8, $9, $10 FROM account
     RETURNING *`,
    [randomUUID(), line.memberId, line.amount, line.earned, line.kind, line.rule, line.sourceRef, line.at, line.actor.kind, line.actor.id],
  );
  return rows[0] ? transactionFromRow(rows[0]) : null;
}

/** EARN: the line and the lot it opens, expiring at `expiresAt`, in one statement. */
export async function earn(
  sql: Sql,
  request: { memberId: string; rule: PointsRule; sourceRef: string; amount: number; at: Date; expiresAt: Date; actor: LedgerActor },
): Promise<PointsTransactionEntity> {
  const rows = await sql.rows(
    `WITH account AS (
       UPDATE points_accounts
          SET balance = balance + $3::bigint, lifetime_earned = lifetime_earned + $3::bigint, updated_at = $6
        WHERE member_id = $2
        RETURNING balance),
     line AS (
       INSERT INTO points_transactions (id, member_id, kind, amount, balance_after, rule, source_ref, created_at, actor_kind, actor_id)
       SELECT $1, $2, 'EARN', $3::bigint, account.balance, $4, $5, $6, $8, $9 FROM account
       RETURNING *),
     lot AS (
       INSERT INTO points_lots (id, member_id, amount, remaining, earned_at, expires_at)
       SELECT id, member_id, amount, amount, created_at, $7 FROM line)
     SELECT * FROM line`,
    [randomUUID(), request.memberId, request.amount, request.rule, request.sourceRef, request.at, request.expiresAt, request.actor.kind, request.actor.id],
  );
  if (!rows[0]) throw new Error(`points account of ${request.memberId} is missing`);
  return transactionFromRow(rows[0]);
}

/**
 * SPEND: takes `amount` from the lots that expire first (then the oldest earned). Answers null,
 * writing nothing, when the balance is short.
 */
export async function spend(
  sql: Sql,
  request: { memberId: string; amount: number; sourceRef: string; at: Date; actor: LedgerActor },
): Promise<PointsTransactionEntity | null> {
  const line = await appendLine(sql, { ...request, kind: 'SPEND', amount: -request.amount, earned: 0, rule: null });
  if (!line) return null;
  const taken = await sql.rows<{ amount: number }>(
    `WITH ordered AS (
       SELECT id, remaining, sum(remaining) OVER (ORDER BY expires_at, earned_at, id) - remaining AS before
         FROM points_lots WHERE member_id = $1 AND remaining > 0),
     taken AS (
       SELECT id, LEAST(remaining, $2::bigint - before)::int AS amount FROM ordered WHERE before < $2::bigint),
     updated AS (
       UPDATE points_lots l SET remaining = l.remaining - taken.amount FROM taken WHERE l.id = taken.id
       RETURNING l.id, taken.amount)
     INSERT INTO points_lot_movements (transaction_id, lot_id, amount)
     SELECT $3, id, -amount FROM updated
     RETURNING -amount AS amount`,
    [request.memberId, request.amount, line.id],
  );
  assertMoved(taken, request.amount, `spend ${line.id}`);
  return line;
}

/**
 * REVERSAL of a SPEND: the points go back into the very lots they came from, so they keep their
 * original expiry dates. Lots whose date has passed meanwhile are expired again by the caller's
 * following expireDueLots: cancelling an order does not revive expired points.
 */
export async function reverseSpend(
  sql: Sql,
  request: { memberId: string; spendTransactionId: string; amount: number; sourceRef: string; at: Date; actor: LedgerActor },
): Promise<PointsTransactionEntity> {
  const line = await appendLine(sql, { ...request, kind: 'REVERSAL', earned: 0, rule: null });
  if (!line) throw new Error(`points account of ${request.memberId} is not locked or missing`);
  const restored = await sql.rows<{ amount: number }>(
    `WITH spent AS (
       SELECT lot_id, -amount AS amount FROM points_lot_movements WHERE transaction_id = $1),
     restored AS (
       UPDATE points_lots l SET remaining = l.remaining + spent.amount FROM spent WHERE l.id = spent.lot_id
       RETURNING l.id, spent.amount)
     INSERT INTO points_lot_movements (transaction_id, lot_id, amount)
     SELECT $2, id, amount FROM restored
     RETURNING amount`,
    [request.spendTransactionId, line.id],
  );
  assertMoved(restored, request.amount, `reversal ${line.id}`);
  return line;
}

/**
 * EXPIRE: empties the member's lots due by `dueBy` in one statement (one EXPIRE line for all of
 * them). Under the account lock a second run finds nothing left, which makes expiry idempotent.
 * Answers the number of points expired.
 */
export async function expireDueLots(sql: Sql, memberId: string, at: Date, dueBy: Date, actor: LedgerActor): Promise<number> {
  const [row] = await sql.rows<{ points: number }>(
    `WITH due AS (
       SELECT id, remaining FROM points_lots WHERE member_id = $1 AND remaining > 0 AND expires_at <= $3),
     zeroed AS (
       UPDATE points_lots l SET remaining = 0 FROM due WHERE l.id = due.id RETURNING l.id, due.remaining AS amount),
     total AS (SELECT sum(amount)::int AS points FROM zeroed),
     account AS (
       UPDATE points_accounts a SET balance = a.balance - total.points, updated_at = $2 FROM total
        WHERE a.member_id = $1 AND total.points > 0
        RETURNING a.balance, total.points),
     line AS (
       INSERT INTO points_transactions (id, member_id, kind, amount, balance_after, created_at, actor_kind, actor_id)
       SELECT $4, $1, 'EXPIRE', -account.points, account.balance, $2, $5, $6 FROM account
       RETURNING id),
     moved AS (
       INSERT INTO points_lot_movements (transaction_id, lot_id, amount)
       SELECT line.id, zeroed.id, -zeroed.amount FROM line, zeroed)
     SELECT points FROM account`,
    [memberId, at, dueBy, randomUUID(), actor.kind, actor.id],
  );
  return row?.points ?? 0;
}

function assertMoved(rows: Array<{ amount: number }>, expected: number, what: string): void {
  const moved = rows.reduce((sum, r) => sum + Number(r.amount), 0);
  // The lots and the balance disagree: refuse (the transaction rolls back) rather than write an unexplainable line.
  if (moved !== expected) throw new Error(`points ledger inconsistency in ${what}: lots moved ${moved}, expected ${expected}`);
}
