import { type EventAudience, type NewEvent, recordEvent } from '@union/common';
import type { PointsContext } from './context';
import type { Sql } from './modules/points/points.ledger';
import type { PointsTransactionEntity } from './modules/points/points.entity';
import type { RewardOrderEntity } from './modules/reward/reward.entity';

/** The unions on the member's organization chain (PLATFORM sees every event anyway). Read before the transaction. */
export async function memberAudience(ctx: PointsContext, memberId: string): Promise<EventAudience> {
  const facts = await ctx.directory.members.load(memberId);
  return { organizationIds: facts?.organizationChain ?? [] };
}

/** Records an event through the ledger's transaction. */
export const recordPointsEvent = (sql: Sql, event: NewEvent): Promise<string> => recordEvent({ query: (text, params) => sql.rows(text, params) }, event);

export const awardEventData = (line: PointsTransactionEntity): Record<string, unknown> => ({
  transactionId: line.id,
  memberId: line.memberId,
  rule: line.rule,
  amount: Number(line.amount),
  balanceAfter: Number(line.balanceAfter),
  sourceRef: line.sourceRef,
});

export const orderEventData = (order: RewardOrderEntity): Record<string, unknown> => ({
  orderId: order.id,
  memberId: order.memberId,
  rewardId: order.rewardId,
  quantity: order.quantity,
  pointsSpent: order.pointsSpent,
  status: order.status,
});
