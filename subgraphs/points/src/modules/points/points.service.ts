import { type EventAudience, inUnionSubtree, isUuid } from '@union/common';
import type { DataSource } from 'typeorm';
import type { ExpiryPolicy } from '../../config';
import type { PointsContext } from '../../context';
import { PointsErrors } from '../../errors';
import type { PointsRule, PointsTransactionEntity } from './points.entity';
import type { AwardPointsInput } from './points.inputs';
import { earn, expireDueLots, inTransaction, type LedgerActor, lockAccount, type Sql } from './points.ledger';
import { transactionFromRow } from './points.loaders';
import { awardAmount, capPeriod, EARNING_RULES, expiryOf, validateSourceRef } from './points.rules';
import { awardEventData, recordPointsEvent } from '../../events';

export interface AwardRequest {
  memberId: string;
  rule: PointsRule;
  sourceRef: string;
  /** Only for ACTIVITY. */
  amount?: number | null;
}

export interface LedgerOptions {
  actor: LedgerActor;
  policy: ExpiryPolicy;
  /** Who besides PLATFORM sees the POINTS_AWARDED event (the unions on the member's chain). */
  audience?: EventAudience;
}

/**
 * Writes an award (no authorization: callers have checked who may award to whom). Idempotent on
 * (memberId, rule, sourceRef): a repeat answers the original line; an ACTIVITY repeat with another
 * amount is IDEMPOTENCY_CONFLICT. Caps are counters in the same transaction whose guarded upsert
 * fails when the cap would be passed: DAILY_CAP_REACHED, and the transaction writes nothing.
 */
export async function recordAward(db: DataSource, request: AwardRequest, options: LedgerOptions): Promise<PointsTransactionEntity> {
  const sourceRef = validateSourceRef(request.sourceRef);
  const amount = awardAmount(request.rule, request.amount);
  return inTransaction(db, async (sql) => {
    const account = await lockAccount(sql, request.memberId, { create: true });
    if (!account) throw new Error('points account vanished while locked');
    const original = await findAward(sql, request.memberId, request.rule, sourceRef);
    if (original) {
      if (Number(original.amount) !== amount) {
        throw PointsErrors.idempotencyConflict(`sourceRef ${sourceRef} was already awarded with ${original.amount} points`);
      }
      return original;
    }
    const cap = EARNING_RULES[request.rule].cap;
    if (cap) await countAgainstCap(sql, request.memberId, request.rule, capPeriod(cap.per, account.now), amount, cap.points);
    await expireDueLots(sql, request.memberId, account.now, account.now, options.actor);
    const line = await earn(sql, {
      memberId: request.memberId,
      rule: request.rule,
      sourceRef,
      amount,
      at: account.now,
      expiresAt: expiryOf(account.now, options.policy),
      actor: options.actor,
    });
    await recordPointsEvent(sql, { type: 'POINTS_AWARDED', subjectId: line.memberId, data: awardEventData(line), audience: options.audience ?? {} });
    return line;
  });
}

async function findAward(sql: Sql, memberId: string, rule: PointsRule, sourceRef: string): Promise<PointsTransactionEntity | null> {
  const [row] = await sql.rows(`SELECT * FROM points_transactions WHERE member_id = $1 AND rule = $2 AND source_ref = $3 AND kind = 'EARN'`, [
    memberId,
    rule,
    sourceRef,
  ]);
  return row ? transactionFromRow(row) : null;
}

/**
 * One counter row per (member, rule) holds the current period's points: an award in a later period
 * starts it again, one in the same period adds to it only while the total stays within the cap (no
 * row back: refused). Periods are 'YYYY-MM-DD' or 'ever' and only move forward; should the database
 * clock ever step back over midnight, the award counts against the newer period rather than
 * reopening an older one.
 */
async function countAgainstCap(sql: Sql, memberId: string, rule: PointsRule, period: string, amount: number, cap: number): Promise<void> {
  const counted = await sql.rows(
    `INSERT INTO points_earning_caps AS c (member_id, rule, period, points, cap) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (member_id, rule) DO UPDATE
        SET points = CASE WHEN EXCLUDED.period > c.period THEN EXCLUDED.points ELSE c.points + EXCLUDED.points END,
            cap = CASE WHEN EXCLUDED.period > c.period THEN EXCLUDED.cap ELSE c.cap END,
            period = GREATEST(c.period, EXCLUDED.period)
      WHERE EXCLUDED.period > c.period OR c.points + EXCLUDED.points <= c.cap
     RETURNING points`,
    [memberId, rule, period, amount, cap],
  );
  if (counted.length === 0) throw PointsErrors.dailyCapReached(rule, cap, period);
}

/**
 * awardPoints: UNION callers award only to members of their own subtree; PLATFORM to anyone.
 * Members must be ACTIVE, and REAL_NAME_VERIFIED only goes to members whose real name is verified.
 */
export async function awardPoints(ctx: PointsContext, input: AwardPointsInput): Promise<PointsTransactionEntity> {
  validateSourceRef(input.sourceRef);
  awardAmount(input.rule, input.amount);
  const facts = isUuid(input.memberId) ? await ctx.directory.members.load(input.memberId) : null;
  if (!facts) throw PointsErrors.notFound('member');
  if (ctx.principal.kind !== 'PLATFORM' && !inUnionSubtree(ctx.principal, facts.organizationChain)) {
    throw PointsErrors.forbidden('the member is outside the subtree you act on');
  }
  if (facts.status !== 'ACTIVE') throw PointsErrors.notEligible(`the member is ${facts.status}, not ACTIVE`);
  if (input.rule === 'REAL_NAME_VERIFIED' && !facts.realNameVerified) throw PointsErrors.notEligible("the member's real name is not verified");
  return recordAward(ctx.db, input, {
    actor: { kind: ctx.principal.kind, id: ctx.principal.id },
    policy: ctx.config.expiry,
    audience: { organizationIds: facts.organizationChain },
  });
}
