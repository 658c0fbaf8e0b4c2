import { keyedLoader } from '@union/common';
import type { DataSource } from 'typeorm';
import { redemptionFromRow, type RedemptionEntity } from './redemption.entity';

export function redemptionLoaders(db: DataSource) {
  return {
    redemptionById: keyedLoader<string, RedemptionEntity>(
      async (ids) => (await db.query(`SELECT * FROM redemptions WHERE id = ANY($1::uuid[])`, [ids])).map(redemptionFromRow),
      (r) => r.id,
    ),
    /** The COMPLETED redemption of each voucher (at most one, by a partial unique index). */
    completedRedemptionByVoucher: keyedLoader<string, RedemptionEntity>(
      async (ids) => (await db.query(`SELECT * FROM redemptions WHERE voucher_id = ANY($1::uuid[]) AND status = 'COMPLETED'`, [ids])).map(redemptionFromRow),
      (r) => r.voucherId,
    ),
  };
}
