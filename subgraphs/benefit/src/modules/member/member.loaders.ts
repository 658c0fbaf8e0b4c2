import DataLoader from 'dataloader';
import { CoalescedLookup, coalescedLoader, perDataSource, preparedRows } from '@union/common';
import type { DataSource } from 'typeorm';
import { type VoucherEntity, voucherFromRow } from '../voucher/voucher.entity';

export interface VoucherPageKey {
  memberId: string;
  /** Effective status wanted (EXPIRED includes ISSUED vouchers past validTo), or null for all. */
  status: string | null;
  limit: number;
  after: [string, string] | null;
}

const STATUS_SQL = `CASE WHEN v.status = 'ISSUED' AND v.valid_to <= now() THEN 'EXPIRED' ELSE v.status END`;

/** Vouchers per (member, effective status or null for all): every federated read of vouchers { totalCount } asks it. */
const VOUCHER_COUNTS = {
  name: 'benefit_voucher_counts',
  text: `SELECT q.idx, (SELECT count(*) FROM vouchers v WHERE v.member_id = q.member_id AND (q.status IS NULL OR ${STATUS_SQL} = q.status)) AS n
           FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS q(member_id, status, idx)`,
};

/** A member's vouchers counted for one effective status (or all): the id a shared count goes by. */
interface VoucherCountKey {
  memberId: string;
  status: string | null;
}
const voucherCountId = (key: VoucherCountKey) => `${key.memberId} ${key.status ?? ''}`;
const VOUCHER_COUNTS_MAX = 1_000;

// Shared by the requests of a turn: every federated member read asks for one member's count.
const voucherCountsOf = perDataSource(
  (db) =>
    new CoalescedLookup<{ id: string; count: number }>(async (ids) => {
      const keys = ids.map((id) => {
        const [memberId, status] = id.split(' ');
        return { memberId, status: status === '' ? null : status };
      });
      const rows = await preparedRows<{ idx: string; n: string }>(db, VOUCHER_COUNTS, [keys.map((k) => k.memberId), keys.map((k) => k.status)]);
      return rows.map((row) => ({ id: ids[Number(row.idx) - 1], count: Number(row.n) }));
    }, VOUCHER_COUNTS_MAX),
);

/** Per-request loaders for what benefit adds to Member: one statement per batch of members. */
export function memberAccountLoaders(db: DataSource) {
  return {
    voucherPage: new DataLoader<VoucherPageKey, VoucherEntity[], string>(
      async (keys) => {
        const rows: Array<Record<string, unknown>> = await db.query(
          `SELECT v.*, q.idx
             FROM unnest($1::uuid[], $2::text[], $3::int[], $4::timestamptz[], $5::uuid[]) WITH ORDINALITY AS q(member_id, status, lim, after_at, after_id, idx)
             CROSS JOIN LATERAL (
               SELECT * FROM vouchers v
                WHERE v.member_id = q.member_id
                  AND (q.status IS NULL OR ${STATUS_SQL} = q.status)
                  AND (q.after_id IS NULL OR (v.issued_at, v.id) < (q.after_at, q.after_id))
                ORDER BY v.issued_at DESC, v.id DESC
                LIMIT q.lim
             ) v
            ORDER BY q.idx, v.issued_at DESC, v.id DESC`,
          [
            keys.map((k) => k.memberId),
            keys.map((k) => k.status),
            keys.map((k) => k.limit),
            keys.map((k) => k.after?.[0] ?? null),
            keys.map((k) => k.after?.[1] ?? null),
          ],
        );
        const pages = keys.map(() => [] as VoucherEntity[]);
        for (const row of rows) pages[Number(row.idx) - 1].push(voucherFromRow(row));
        return pages;
      },
      { cacheKeyFn: (k) => JSON.stringify(k) },
    ),
    voucherCount: coalescedLoader(voucherCountsOf(db), (row) => row.count, voucherCountId),
    /** Discount used per (member, program, year). */
    discountUsed: new DataLoader<{ memberId: string; programId: string; year: number }, number, string>(
      async (keys) => {
        const rows: Array<{ idx: string; used: string | null }> = await db.query(
          `SELECT q.idx, u.used_fen AS used
             FROM unnest($1::uuid[], $2::uuid[], $3::int[]) WITH ORDINALITY AS q(member_id, program_id, year, idx)
             LEFT JOIN discount_usage u ON u.member_id = q.member_id AND u.program_id = q.program_id AND u.year = q.year`,
          [keys.map((k) => k.memberId), keys.map((k) => k.programId), keys.map((k) => k.year)],
        );
        const used = keys.map(() => 0);
        for (const row of rows) used[Number(row.idx) - 1] = Number(row.used ?? 0);
        return used;
      },
      { cacheKeyFn: (k) => JSON.stringify(k) },
    ),
  };
}
