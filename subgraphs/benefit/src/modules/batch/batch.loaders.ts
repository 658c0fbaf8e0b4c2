import { groupedLoader, keyedLoader } from '@union/common';
import type { DataSource } from 'typeorm';
import { batchFromRow, type VoucherBatchEntity } from './batch.entity';

/** A batch with its claimed count: the sum of its pool's stripes (exact, as committed). */
export const BATCH_SELECT = `SELECT b.*, (SELECT coalesce(sum(s.claimed), 0)::int FROM voucher_batch_stripes s WHERE s.batch_id = b.id) AS claimed FROM voucher_batches b`;

export function batchLoaders(db: DataSource) {
  return {
    batchById: keyedLoader<string, VoucherBatchEntity>(
      async (ids) => (await db.query(`${BATCH_SELECT} WHERE b.id = ANY($1::uuid[])`, [ids])).map(batchFromRow),
      (b) => b.id,
    ),
    /** Partners allowed to redeem each batch. */
    batchPartnerIds: groupedLoader<string, { batch_id: string; partner_id: string }>(
      (ids) => db.query(`SELECT batch_id, partner_id FROM voucher_batch_partners WHERE batch_id = ANY($1::uuid[]) ORDER BY partner_id`, [ids]),
      (row) => row.batch_id,
    ),
  };
}
