import { keyedLoader } from '@union/common';
import type { DataSource } from 'typeorm';
import { type VoucherEntity, voucherFromRow } from './voucher.entity';

export function voucherLoaders(db: DataSource) {
  return {
    voucherById: keyedLoader<string, VoucherEntity>(
      async (ids) => (await db.query(`SELECT * FROM vouchers WHERE id = ANY($1::uuid[])`, [ids])).map(voucherFromRow),
      (v) => v.id,
    ),
    /** Codes in their stored (normalized) form. */
    voucherByCode: keyedLoader<string, VoucherEntity>(
      async (codes) => (await db.query(`SELECT * FROM vouchers WHERE code = ANY($1::text[])`, [codes])).map(voucherFromRow),
      (v) => v.code,
    ),
  };
}
