import DataLoader from 'dataloader';
import { keyedLoader, perDataSource, preparedRows, type PreparedStatement } from '@union/common';
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

const ORGANIZATIONS_BY_ID: PreparedStatement = {
  name: 'member_organizations_by_id',
  text: `SELECT id, node_no, parent_id, name, kind, path, depth, created_at FROM organizations WHERE id = ANY($1::uuid[])`,
};

/** How long a cached organization row is trusted (see OrganizationRows). */
const ORGANIZATION_CACHE_MS = 60_000;
const ORGANIZATION_CACHE_ENTRIES = 50_000;

/**
 * Organization rows by id, shared by every request of the process. Organizations are only ever
 * inserted (no rename, no move: a member's transfer changes the member, never the tree), so a row
 * read once stays right; the short lifetime only bounds what an operator's offline rewrite of the
 * tree (the scale seed) could leave stale. Every request asks for the caller's own organization
 * (a union's subtree) and the member's: without this each was a statement per request.
 * Rows that do not exist are not cached, so an organization created a moment ago is found.
 * Cached entities are shared between requests: nothing may modify them.
 */
class OrganizationRows {
  private readonly rows = new Map<string, { organization: OrganizationEntity; expiresAt: number }>();

  get(id: string, now: number): OrganizationEntity | undefined {
    const entry = this.rows.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt > now) return entry.organization;
    this.rows.delete(id);
    return undefined;
  }

  set(organization: OrganizationEntity, now: number): void {
    this.rows.delete(organization.id);
    // A Map iterates in insertion order: the oldest row goes first when full.
    if (this.rows.size >= ORGANIZATION_CACHE_ENTRIES) this.rows.delete(this.rows.keys().next().value as string);
    this.rows.set(organization.id, { organization, expiresAt: now + ORGANIZATION_CACHE_MS });
  }
}

const organizationRowsOf = perDataSource(() => new OrganizationRows());

/** Organizations by id: the process-wide rows first, one named statement for the rest. */
async function organizationsById(db: DataSource, ids: readonly string[]): Promise<Array<OrganizationEntity | null>> {
  const cache = organizationRowsOf(db);
  const now = Date.now();
  const found = new Map<string, OrganizationEntity>();
  const missing: string[] = [];
  for (const id of ids) {
    const organization = cache.get(id, now);
    if (organization) found.set(id, organization);
    else missing.push(id);
  }
  if (missing.length > 0) {
    for (const row of await preparedRows<Record<string, unknown>>(db, ORGANIZATIONS_BY_ID, [missing])) {
      const organization = organizationFromRow(row);
      cache.set(organization, now);
      found.set(organization.id, organization);
    }
  }
  return ids.map((id) => found.get(id) ?? null);
}

/** Per-request loaders for organizations: one statement per batch, whatever the list length. */
export function organizationLoaders(db: DataSource) {
  return {
    organizationById: new DataLoader<string, OrganizationEntity | null>((ids) => organizationsById(db, ids)),
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
