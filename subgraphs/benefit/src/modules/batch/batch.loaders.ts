import { groupedLoader, keyedLoader } from '@union/common';
import type { DataSource } from 'typeorm';
import { batchFromRow, type VoucherBatchEntity } from './batch.entity';

export function batchLoaders(db: DataSource) {
  return {
    batchById: keyedLoader<string, VoucherBatchEntity>(
      async (ids) => (await db.query(`SELECT * FROM voucher_batches WHERE id = ANY($1::uuid[])`, [ids])).map(batchFromRow),
      (b) => b.id,
    ),
    /** Partners allowed to redeem each batch. */
    batchPartnerIds: groupedLoader<string, { batch_id: string; partner_id: string }>(
      (ids) => db.query(`SELECT batch_id, partner_id FROM voucher_batch_partners WHERE batch_id = ANY($1::uuid[]) ORDER BY partner_id`, [ids]),
      (row) => row.batch_id,
    ),
  };
}
