import DataLoader from 'dataloader';
import { keyedLoader } from '@union/common';
import type { DataSource } from 'typeorm';
import { OrganizationEntity, OrganizationStatsEntity } from './organization.entity';

export interface ChildrenPageKey {
  parentId: string;
  limit: number;
  /** Keyset position (name, id) after which the page starts. */
  after: [string, string] | null;
}

/**
 * Pages of children: $1 parent ids, $2 limits, $3 / $4 the (name, id) of the previous page's last
 * child or null. The lower bound is one row comparison (the empty name sorts before every name, the
 * nil UUID before every id) rather than "after IS NULL OR ...", and the order is the one of
 * organizations_children_idx (name in the "C" collation), so a page is an index range that starts
 * at its cursor instead of every child of the parent read and sorted.
 */
export const CHILDREN_PAGE_SQL = `SELECT c.id, c.node_no, c.parent_id, c.name, c.kind, c.path, c.depth, c.created_at, q.idx
   FROM unnest($1::uuid[], $2::int[], $3::text[], $4::uuid[]) WITH ORDINALITY AS q(parent_id, lim, after_name, after_id, idx)
   CROSS JOIN LATERAL (
     SELECT * FROM organizations o
      WHERE o.parent_id = q.parent_id
        AND (o.name COLLATE "C", o.id) > (coalesce(q.after_name, '') COLLATE "C", coalesce(q.after_id, '00000000-0000-0000-0000-000000000000'::uuid))
      ORDER BY o.name COLLATE "C", o.id
      LIMIT q.lim
   ) c
  ORDER BY q.idx, c.name COLLATE "C", c.id`;

/** Per-request loaders for organizations: one statement per batch, whatever the list length. */
export function organizationLoaders(db: DataSource) {
  const organizations = db.getRepository(OrganizationEntity);
  return {
    organizationById: keyedLoader<string, OrganizationEntity>(
      (ids) => organizations.createQueryBuilder('o').where('o.id = ANY(:ids)', { ids }).getMany(),
      (o) => o.id,
    ),
    statsByOrganizationId: keyedLoader<string, OrganizationStatsEntity>(
      (ids) => db.getRepository(OrganizationStatsEntity).createQueryBuilder('s').where('s.organization_id = ANY(:ids)', { ids }).getMany(),
      (s) => s.organizationId,
    ),
    /** Pages of children of many parents in one LATERAL query (ordered by name, then id). */
    childrenPage: new DataLoader<ChildrenPageKey, OrganizationEntity[], string>(
      async (keys) => {
        const rows: Array<Record<string, unknown> & { idx: number }> = await db.query(CHILDREN_PAGE_SQL, [
          keys.map((k) => k.parentId),
          keys.map((k) => k.limit),
          keys.map((k) => k.after?.[0] ?? null),
          keys.map((k) => k.after?.[1] ?? null),
        ]);
        const pages = keys.map(() => [] as OrganizationEntity[]);
        for (const row of rows) pages[Number(row.idx) - 1].push(organizationFromRow(row));
        return pages;
      },
      { cacheKeyFn: (k) => JSON.stringify(k) },
    ),
    childCount: new DataLoader<string, number>(async (parentIds) => {
      const rows: Array<{ parent_id: string; n: string }> = await db.query(
        `SELECT parent_id, count(*) AS n FROM organizations WHERE parent_id = ANY($1) GROUP BY parent_id`,
        [parentIds],
      );
      const counts = new Map(rows.map((r) => [r.parent_id, Number(r.n)]));
      return parentIds.map((id) => counts.get(id) ?? 0);
    }),
  };
}

export type OrganizationLoaders = ReturnType<typeof organizationLoaders>;

export function organizationFromRow(row: Record<string, unknown>): OrganizationEntity {
  return Object.assign(new OrganizationEntity(), {
    id: row.id,
    nodeNo: String(row.node_no),
    parentId: row.parent_id ?? null,
    name: row.name,
    kind: row.kind,
    path: row.path,
    depth: row.depth,
    createdAt: row.created_at,
  });
}
