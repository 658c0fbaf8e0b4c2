import DataLoader from 'dataloader';
import { CoalescedLookup, coalescedLoader, perDataSource, preparedRows } from '@union/common';
import type { DataSource } from 'typeorm';
import { PointsAccountEntity, PointsTransactionEntity } from './points.entity';

export interface TransactionPageKey {
  memberId: string;
  limit: number;
  /** seq of the last line of the previous page. */
  after: string | null;
}

export function transactionFromRow(row: Record<string, unknown>): PointsTransactionEntity {
  return Object.assign(new PointsTransactionEntity(), {
    id: row.id,
    memberId: row.member_id,
    kind: row.kind,
    amount: String(row.amount),
    balanceAfter: String(row.balance_after),
    rule: row.rule ?? null,
    sourceRef: row.source_ref ?? null,
    createdAt: row.created_at,
    seq: String(row.seq),
  });
}

/** The points accounts of a batch of members: every federated read of Member.points asks it. */
const ACCOUNTS_BY_MEMBER = {
  name: 'points_accounts_by_member',
  text: `SELECT member_id AS id, balance, lifetime_earned FROM points_accounts WHERE member_id = ANY($1::uuid[])`,
};
/** The most accounts one shared read carries. */
const ACCOUNTS_BY_MEMBER_MAX = 1_000;

interface AccountRow {
  id: string;
  balance: string;
  lifetime_earned: string;
}

// Shared by the requests of a turn: in a federated list every request asks for its own members' accounts.
const accountsByMemberOf = perDataSource(
  (db) => new CoalescedLookup<AccountRow>((ids) => preparedRows<AccountRow>(db, ACCOUNTS_BY_MEMBER, [ids]), ACCOUNTS_BY_MEMBER_MAX),
);

/** Per-request loaders: one statement per batch of members. */
export function pointsLoaders(db: DataSource) {
  return {
    accountByMemberId: coalescedLoader(accountsByMemberOf(db), (row: AccountRow) =>
      Object.assign(new PointsAccountEntity(), { memberId: row.id, balance: row.balance, lifetimeEarned: row.lifetime_earned }),
    ),
    transactionPage: new DataLoader<TransactionPageKey, PointsTransactionEntity[], string>(
      async (keys) => {
        const rows: Array<Record<string, unknown>> = await db.query(
          `SELECT t.*, q.idx
             FROM unnest($1::uuid[], $2::int[], $3::bigint[]) WITH ORDINALITY AS q(member_id, lim, after_seq, idx)
             CROSS JOIN LATERAL (
               SELECT * FROM points_transactions t
                WHERE t.member_id = q.member_id AND (q.after_seq IS NULL OR t.seq < q.after_seq)
                ORDER BY t.seq DESC
                LIMIT q.lim
             ) t
            ORDER BY q.idx, t.seq DESC`,
          [keys.map((k) => k.memberId), keys.map((k) => k.limit), keys.map((k) => k.after)],
        );
        const pages = keys.map(() => [] as PointsTransactionEntity[]);
        for (const row of rows) pages[Number(row.idx) - 1].push(transactionFromRow(row));
        return pages;
      },
      { cacheKeyFn: (k) => JSON.stringify(k) },
    ),
    /** The earliest expiry date among a member's unspent lots, and how many points expire then. */
    nextExpiryByMemberId: new DataLoader<string, { amount: number; at: Date } | null>(async (memberIds) => {
      const rows: Array<{ member_id: string; expires_at: Date; amount: number }> = await db.query(
        `SELECT DISTINCT ON (member_id) member_id, expires_at, sum(remaining)::int AS amount
           FROM points_lots WHERE member_id = ANY($1) AND remaining > 0
          GROUP BY member_id, expires_at
          ORDER BY member_id, expires_at`,
        [memberIds],
      );
      const next = new Map(rows.map((r) => [r.member_id, { amount: Number(r.amount), at: r.expires_at }]));
      return memberIds.map((id) => next.get(id) ?? null);
    }),
    transactionCount: new DataLoader<string, number>(async (memberIds) => {
      const rows: Array<{ member_id: string; n: string }> = await db.query(
        `SELECT member_id, count(*) AS n FROM points_transactions WHERE member_id = ANY($1) GROUP BY member_id`,
        [memberIds],
      );
      const counts = new Map(rows.map((r) => [r.member_id, Number(r.n)]));
      return memberIds.map((id) => counts.get(id) ?? 0);
    }),
  };
}
