import { keyedLoader } from '@union/common';
import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { orderFromRow, type RewardEntity, type RewardOrderEntity, rewardFromRow } from './reward.entity';

export interface OrderPageKey {
  memberId: string;
  limit: number;
  /** (created_at, id) of the last order of the previous page. */
  after: [string, string] | null;
}

export function rewardLoaders(db: DataSource) {
  return {
    rewardById: keyedLoader<string, RewardEntity>(
      async (ids) => (await db.query(`SELECT * FROM rewards WHERE id = ANY($1::uuid[])`, [ids])).map(rewardFromRow),
      (r) => r.id,
    ),
    /** Pages of orders for many members in one LATERAL query. */
    orderPage: new DataLoader<OrderPageKey, RewardOrderEntity[], string>(
      async (keys) => {
        const rows: Array<Record<string, unknown>> = await db.query(
          `SELECT o.*, q.idx
             FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::uuid[]) WITH ORDINALITY AS q(member_id, lim, after_at, after_id, idx)
             CROSS JOIN LATERAL (
               SELECT * FROM reward_orders o
                WHERE o.member_id = q.member_id
                  AND (q.after_id IS NULL OR (o.created_at, o.id) < (q.after_at, q.after_id))
                ORDER BY o.created_at DESC, o.id DESC
                LIMIT q.lim
             ) o
            ORDER BY q.idx, o.created_at DESC, o.id DESC`,
          [keys.map((k) => k.memberId), keys.map((k) => k.limit), keys.map((k) => k.after?.[0] ?? null), keys.map((k) => k.after?.[1] ?? null)],
        );
        const pages = keys.map(() => [] as RewardOrderEntity[]);
        for (const row of rows) pages[Number(row.idx) - 1].push(orderFromRow(row));
        return pages;
      },
      { cacheKeyFn: (k) => JSON.stringify(k) },
    ),
    orderCount: new DataLoader<string, number>(async (memberIds) => {
      const rows: Array<{ member_id: string; n: number }> = await db.query(
        `SELECT member_id, count(*)::int AS n FROM reward_orders WHERE member_id = ANY($1) GROUP BY member_id`,
        [memberIds],
      );
      const counts = new Map(rows.map((r) => [r.member_id, r.n]));
      return memberIds.map((id) => counts.get(id) ?? 0);
    }),
  };
}
