import { badInput, contractError, forbidden, notFound } from '@union/common';

/** Errors the points subgraph answers with; codes come from the partner contract. */
export const PointsErrors = {
  badInput,
  notFound,
  forbidden,
  insufficientPoints: () => contractError('INSUFFICIENT_POINTS', 'not enough points'),
  outOfStock: () => contractError('OUT_OF_STOCK', 'the reward is out of stock'),
  /** `period` is the Asia/Shanghai day the award counted against, or 'ever' (REAL_NAME_VERIFIED). */
  dailyCapReached: (rule: string, cap: number, period: string) =>
    contractError('DAILY_CAP_REACHED', period === 'ever' ? `${rule} is awarded once per member` : `daily cap of ${rule} reached for this member`, {
      rule,
      cap,
      period,
    }),
  notEligible: (why: string) => contractError('NOT_ELIGIBLE', why),
  idempotencyConflict: (why: string) => contractError('IDEMPOTENCY_CONFLICT', why),
  orderAlreadyCancelled: () => contractError('BAD_USER_INPUT', 'the order is already cancelled', { field: 'orderId', reason: 'ORDER_ALREADY_CANCELLED' }),
};
