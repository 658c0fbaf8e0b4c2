import { perDataSource, type MemberFacts, type OrganizationFacts } from '@union/common';
import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';

/** What a member's facts are made of, as the members table holds them. */
export interface MemberFactsRow {
  id: string;
  status: MemberFacts['status'];
  realNameVerified: boolean;
  organizationId: string;
  /** Materialized path of node numbers, '/<root>/.../<own>/'. */
  orgPath: string;
}

/** Past this many node numbers the cache starts over (130,000 organizations at 15 million members fit). */
const NODE_CACHE_LIMIT = 500_000;

/**
 * Organization ids by node number, per process. A node number is drawn once per organization
 * (GENERATED ALWAYS AS IDENTITY) and never reused or reassigned, so an entry never goes stale: a
 * move or a transfer changes the paths that hold the numbers, not what a number names. The chain
 * of a member is therefore read from its org_path without a statement once the numbers are known.
 */
export class OrganizationChains {
  private readonly idByNode = new Map<string, string>();
  private readonly missing: DataLoader<string, string | null>;
  /** The whole map, read once on first use (130,000 organizations are one short statement). */
  private loaded?: Promise<void>;
  private ready = false;

  constructor(private readonly db: DataSource) {
    // Batches the numbers that requests in flight miss into one statement; the Map is the cache.
    this.missing = new DataLoader(
      async (nodes) => {
        const rows: Array<{ node_no: string; id: string }> = await db.query(
          `SELECT node_no::text AS node_no, id FROM organizations WHERE node_no = ANY($1::bigint[])`,
          [nodes],
        );
        const byNode = new Map(rows.map((r) => [r.node_no, r.id]));
        return nodes.map((n) => byNode.get(n) ?? null);
      },
      { cache: false },
    );
  }

  /**
   * Every organization's node number up front, so that how many statements a request sends does not
   * depend on which organizations earlier requests happened to meet; later organizations are
   * learnt when first met. A failed read is tried again by the next request.
   */
  private loadAll(): Promise<void> {
    this.loaded ??= (async () => {
      const rows: Array<{ node_no: string; id: string }> = await this.db.query(
        `SELECT node_no::text AS node_no, id FROM organizations ORDER BY node_no LIMIT ${NODE_CACHE_LIMIT}`,
      );
      for (const r of rows) this.idByNode.set(r.node_no, r.id);
      this.ready = true;
    })().catch((error: unknown) => {
      this.loaded = undefined;
      throw error;
    });
    return this.loaded;
  }

  /** The organizations on a materialized path, nearest first (the path's own organization first). */
  async chainOf(path: string): Promise<string[]> {
    if (!this.ready) await this.loadAll();
    const nodes = path.split('/').filter((n) => n !== '');
    const unknown = nodes.filter((n) => !this.idByNode.has(n));
    if (unknown.length > 0) {
      const ids = await this.missing.loadMany(unknown);
      if (this.idByNode.size + unknown.length > NODE_CACHE_LIMIT) this.idByNode.clear();
      unknown.forEach((n, i) => {
        const id = ids[i];
        if (typeof id === 'string') this.idByNode.set(n, id);
      });
      // Read from the answer, not the cache: it may just have been cleared.
      const answered = new Map(unknown.map((n, i) => [n, ids[i]]));
      return nodes
        .map((n) => this.idByNode.get(n) ?? answered.get(n))
        .filter((id): id is string => typeof id === 'string')
        .reverse();
    }
    return nodes.map((n) => this.idByNode.get(n) as string).reverse();
  }

  async memberFacts(row: MemberFactsRow): Promise<MemberFacts> {
    return {
      id: row.id,
      status: row.status,
      realNameVerified: row.realNameVerified,
      organizationId: row.organizationId,
      organizationChain: await this.chainOf(row.orgPath),
    };
  }
}

/** The process's OrganizationChains over this data source. */
export const organizationChains = perDataSource((db) => new OrganizationChains(db));

/** The member-facts route: one statement for the members, their chains from the node cache. */
export async function memberFactsByIds(db: DataSource, ids: string[]): Promise<MemberFacts[]> {
  if (ids.length === 0) return [];
  const rows: Array<{ id: string; status: MemberFacts['status']; real_name_verified: boolean; organization_id: string; org_path: string }> = await db.query(
    `SELECT id, status, real_name_verified, organization_id, org_path FROM members WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  const chains = organizationChains(db);
  return Promise.all(
    rows.map((r) =>
      chains.memberFacts({ id: r.id, status: r.status, realNameVerified: r.real_name_verified, organizationId: r.organization_id, orgPath: r.org_path }),
    ),
  );
}

/** The organization-facts route: one statement for the organizations, their chains from the node cache. */
export async function organizationFactsByIds(db: DataSource, ids: string[]): Promise<OrganizationFacts[]> {
  if (ids.length === 0) return [];
  const rows: Array<{ id: string; path: string }> = await db.query(`SELECT id, path FROM organizations WHERE id = ANY($1::uuid[])`, [ids]);
  const chains = organizationChains(db);
  return Promise.all(rows.map(async (r) => ({ id: r.id, chain: await chains.chainOf(r.path) })));
}
