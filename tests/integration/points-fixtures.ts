import { randomUUID } from 'node:crypto';
import { CursorCodec, type MemberFacts, type Principal } from '@union/common';
import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import type { PointsContext } from '../../subgraphs/points/src/context';
import { loadPointsConfig } from '../../subgraphs/points/src/config';
import { pointsDataSource } from '../../subgraphs/points/src/data-source';
import { migratePoints } from '../../subgraphs/points/src/migrate';
import { pointsLoaders } from '../../subgraphs/points/src/modules/points/points.loaders';
import { rewardLoaders } from '../../subgraphs/points/src/modules/reward/reward.loaders';
import { createTestDatabase } from '../testkit/database';

/** A migrated points schema in a fresh database, with a pool large enough for the race tests. */
export async function openPointsDatabase(): Promise<{ db: DataSource; url: string; close(): Promise<void> }> {
  const database = await createTestDatabase('points');
  await migratePoints({ databaseUrl: database.url, dbSchema: 'points', poolSize: 2 });
  const db = pointsDataSource({ databaseUrl: database.url, dbSchema: 'points', poolSize: 40 });
  await db.initialize();
  return {
    db,
    url: database.url,
    async close() {
      await db.destroy();
      await database.drop();
    },
  };
}

export const testConfig = loadPointsConfig({
  DATABASE_URL: 'postgres://u:p@127.0.0.1:1/x',
  INTERNAL_SECRET: 's'.repeat(40),
  POINTS_EXPIRY_INTERVAL_SECONDS: '0',
});

export const unionOrg = randomUUID();
export const otherUnionOrg = randomUUID();
export const cityOrg = randomUUID();

export function memberFacts(overrides: Partial<MemberFacts> = {}): MemberFacts {
  const organizationId = overrides.organizationId ?? randomUUID();
  return {
    id: randomUUID(),
    status: 'ACTIVE',
    realNameVerified: true,
    organizationId,
    organizationChain: [organizationId, unionOrg, cityOrg],
    ...overrides,
  };
}

/** A context like the subgraph's, with the member directory answered from `members` instead of HTTP. */
export function contextFor(db: DataSource, principal: Principal, members: MemberFacts[]): PointsContext {
  const byId = new Map(members.map((m) => [m.id, m]));
  return {
    principal,
    requestId: randomUUID(),
    db,
    config: testConfig,
    cursors: new CursorCodec(testConfig.internalSecret),
    directory: {
      members: new DataLoader(async (ids) => ids.map((id) => byId.get(id) ?? null)),
      organizations: new DataLoader(async (ids) => ids.map(() => null)),
    },
    loaders: { ...pointsLoaders(db), ...rewardLoaders(db) },
  };
}

export const platform: Principal = {
  kind: 'PLATFORM',
  id: 'a0000000-0000-4000-8000-000000000008',
  name: '粤工惠平台',
  scopes: ['points:award', 'reward:manage'],
};
export const districtUnion: Principal = { kind: 'UNION', id: randomUUID(), name: '天河区总工会', scopes: ['points:award'], organizationId: unionOrg };
export const siblingUnion: Principal = { kind: 'UNION', id: randomUUID(), name: '越秀区总工会', scopes: ['points:award'], organizationId: otherUnionOrg };
export const asMember = (id: string): Principal => ({ kind: 'MEMBER', id, name: 'member', scopes: ['member:self'] });

export interface LedgerViolation {
  memberId: string;
  problem: string;
}

/**
 * Every way a balance must be explainable: the account's balance equals the sum of its
 * transactions, the newest line's balanceAfter, and the sum of its open lots; each line's
 * balanceAfter is the running sum; each lot's remaining is its amount plus its movements.
 */
export async function ledgerViolations(db: DataSource, memberIds: string[] | null = null): Promise<LedgerViolation[]> {
  const rows: LedgerViolation[] = await db.query(
    `
    WITH sums AS (
      SELECT a.member_id, a.balance,
             (SELECT coalesce(sum(amount), 0) FROM points_transactions t WHERE t.member_id = a.member_id) AS ledger,
             (SELECT coalesce(sum(remaining), 0) FROM points_lots l WHERE l.member_id = a.member_id) AS lots,
             (SELECT balance_after FROM points_transactions t WHERE t.member_id = a.member_id ORDER BY seq DESC LIMIT 1) AS last_after
        FROM points_accounts a WHERE $1::uuid[] IS NULL OR a.member_id = ANY($1))
    SELECT member_id AS "memberId", format('balance %s, ledger sum %s, lots %s, last balanceAfter %s', balance, ledger, lots, last_after) AS problem
      FROM sums WHERE balance <> ledger OR balance <> lots OR balance <> coalesce(last_after, 0) OR balance < 0
    UNION ALL
    SELECT member_id, format('line %s: balanceAfter %s but running sum %s', id, balance_after, running)
      FROM (SELECT id, member_id, balance_after,
                   sum(amount) OVER (PARTITION BY member_id ORDER BY seq ROWS UNBOUNDED PRECEDING) AS running
              FROM points_transactions WHERE $1::uuid[] IS NULL OR member_id = ANY($1)) r
     WHERE balance_after <> running
    UNION ALL
    SELECT l.member_id, format('lot %s: remaining %s but amount plus movements %s', l.id, l.remaining, l.amount + coalesce(m.moved, 0))
      FROM points_lots l LEFT JOIN (SELECT lot_id, sum(amount) AS moved FROM points_lot_movements GROUP BY lot_id) m ON m.lot_id = l.id
     WHERE l.remaining <> l.amount + coalesce(m.moved, 0) AND ($1::uuid[] IS NULL OR l.member_id = ANY($1))`,
    [memberIds],
  );
  return rows;
}

export async function balanceOf(db: DataSource, memberId: string): Promise<number> {
  const [row] = await db.query(`SELECT balance FROM points_accounts WHERE member_id = $1`, [memberId]);
  return Number(row?.balance ?? 0);
}

export async function linesOf(
  db: DataSource,
  memberId: string,
): Promise<Array<{ kind: string; amount: number; balance_after: number; source_ref: string | null }>> {
  const rows = await db.query(`SELECT kind, amount::int, balance_after::int, source_ref FROM points_transactions WHERE member_id = $1 ORDER BY seq`, [
    memberId,
  ]);
  return rows;
}

/** The contract error code a rejected promise carries. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return String((error as { extensions?: { code?: string } }).extensions?.code ?? (error as Error).message);
  }
  return 'NO_ERROR';
}
