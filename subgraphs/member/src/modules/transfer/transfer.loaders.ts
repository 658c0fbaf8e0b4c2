import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import type { MembershipEventKind, MembershipEventRow } from './transfer.types';

export interface HistoryPageKey {
  memberId: string;
  limit: number;
  /** Keyset position: the id of the last event of the previous page. */
  afterId: string | null;
}

function eventFromRow(row: Record<string, unknown>): MembershipEventRow {
  return {
    id: String(row.id),
    memberId: row.member_id as string,
    kind: row.kind as MembershipEventKind,
    fromOrganizationId: (row.from_organization_id as string | null) ?? null,
    toOrganizationId: row.to_organization_id as string,
    actorName: row.actor_name as string,
    occurredAt: row.occurred_at as Date,
    fromStatus: (row.from_status as string | null) ?? null,
    toStatus: (row.to_status as string | null) ?? null,
    reason: (row.reason as string | null) ?? null,
    changedFields: (row.changed_fields as string[] | null) ?? null,
  };
}

/** Per-request loaders of membership histories: one statement per batch of members. */
export function transferLoaders(db: DataSource) {
  return {
    membershipHistoryPage: new DataLoader<HistoryPageKey, MembershipEventRow[], string>(
      async (keys) => {
        const rows: Array<Record<string, unknown>> = await db.query(
          `SELECT e.*, q.idx
             FROM unnest($1::uuid[], $2::int[], $3::bigint[]) WITH ORDINALITY AS q(member_id, lim, after_id, idx)
             CROSS JOIN LATERAL (
               SELECT * FROM membership_events e
                WHERE e.member_id = q.member_id AND (q.after_id IS NULL OR e.id > q.after_id)
                ORDER BY e.id
                LIMIT q.lim
             ) e
            ORDER BY q.idx, e.id`,
          [keys.map((k) => k.memberId), keys.map((k) => k.limit), keys.map((k) => k.afterId)],
        );
        const pages = keys.map(() => [] as MembershipEventRow[]);
        for (const row of rows) pages[Number(row.idx) - 1]!.push(eventFromRow(row));
        return pages;
      },
      { cacheKeyFn: (k) => JSON.stringify(k) },
    ),
    membershipEventCount: new DataLoader<string, number>(async (memberIds) => {
      const rows: Array<{ member_id: string; n: string }> = await db.query(
        `SELECT member_id, count(*) AS n FROM membership_events WHERE member_id = ANY($1::uuid[]) GROUP BY member_id`,
        [memberIds],
      );
      const counts = new Map(rows.map((r) => [r.member_id, Number(r.n)]));
      return memberIds.map((id) => counts.get(id) ?? 0);
    }),
  };
}

export type TransferLoaders = ReturnType<typeof transferLoaders>;
