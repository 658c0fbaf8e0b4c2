import { badInput, SHANGHAI_OFFSET_MS } from '@union/common';

/**
 * What the reconciliation reads of both partner kinds share: hospitals' settlement statements and
 * claim totals (modules/hospital), travel partners' and merchants' redemption statements and
 * totals (modules/redemption).
 */

/** GraphQL Int is 32-bit signed. */
const GRAPHQL_INT_MAX = 2_147_483_647;

/** [start, end) of an Asia/Shanghai calendar month "YYYY-MM"; anything else is BAD_USER_INPUT. */
export function shanghaiMonth(month: string): { start: Date; end: Date } {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!match) throw badInput('month must be YYYY-MM', 'month');
  const [year, monthIndex] = [Number(match[1]), Number(match[2]) - 1];
  return {
    start: new Date(Date.UTC(year, monthIndex, 1) - SHANGHAI_OFFSET_MS),
    end: new Date(Date.UTC(year, monthIndex + 1, 1) - SHANGHAI_OFFSET_MS),
  };
}

/** Asia/Shanghai wall-clock time of an instant, "2026-03-14T10:22:05": what an accountant there reads. */
export const shanghaiWallClock = (at: Date) => new Date(at.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 19);

/**
 * A count or a sum of fen answered as a GraphQL Int. Past 2,147,483,647 (21 million yuan) the
 * caller gets BAD_USER_INPUT naming what to narrow, never a wrapped number or an internal error.
 */
export function graphqlInt(value: string | number | bigint, field: string, narrower: string): number {
  const n = typeof value === 'bigint' ? value : BigInt(value);
  if (n > BigInt(GRAPHQL_INT_MAX)) throw badInput(`totals exceed ${GRAPHQL_INT_MAX.toLocaleString('en-US')} fen (the largest GraphQL Int); ${narrower}`, field);
  return Number(n);
}
