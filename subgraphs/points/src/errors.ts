import { badInput, contractError, forbidden, notFound } from '@union/common';

/** Errors the points subgraph answers with; codes come from the partner contract. */
export const PointsErrors = {
  badInput,
  notFound,
  forbidden,
  insufficientPoints: () => contractError('INSUFFICIENT_POINTS', 'not enough points'),
  outOfStock: () => contractError('OUT_OF_STOCK', 'the reward is out of stock'),
  dailyCapReached: (rule: string) => contractError('DAILY_CAP_REACHED', `daily cap of ${rule} reached for this member`),
};
