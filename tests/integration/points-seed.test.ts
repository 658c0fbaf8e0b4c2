import { randomUUID } from 'node:crypto';
import type { DemoMemberRef, DemoWorld } from '@union/common';
import type { DataSource } from 'typeorm';
import { DEMO_REWARDS, seedPointsDemo, SEEDED_DISTRICT_MEMBERS, SEEDED_SIBLING_DISTRICT_MEMBERS } from '../../subgraphs/points/src/seed/points-seed';
import { ledgerViolations, openPointsDatabase } from './points-fixtures';

let db: DataSource;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ db, close } = await openPointsDatabase());
});
afterAll(() => close());

const ref = (organizationId: string): DemoMemberRef => ({ id: randomUUID(), cardNumber: 'GD0000000000', fullName: '测试', organizationId });
const world: DemoWorld = {
  organizations: {
    provinceId: randomUUID(),
    cityUnionOrgId: randomUUID(),
    districtUnionOrgId: randomUUID(),
    siblingDistrictUnionOrgId: randomUUID(),
    liaochengOrgId: randomUUID(),
  },
  districtMembers: Array.from({ length: 16 }, () => ref('d')),
  siblingDistrictMembers: Array.from({ length: 4 }, () => ref('s')),
  allMemberIds: [],
};

const snapshot = async () => ({
  rewards: await db.query(`SELECT id, name, points_cost, stock FROM rewards ORDER BY id`),
  lines: Number((await db.query(`SELECT count(*) AS n FROM points_transactions`))[0].n),
  balances: await db.query(`SELECT member_id, balance::int FROM points_accounts ORDER BY member_id`),
});

it('seeds the catalog and explainable balances for the first fixture members, and a second run changes nothing', async () => {
  await seedPointsDemo(db, world);
  const first = await snapshot();
  expect(first.rewards.map((r: { name: string }) => r.name)).toEqual(DEMO_REWARDS.map((r) => r.name));
  const seeded = [...world.districtMembers.slice(0, SEEDED_DISTRICT_MEMBERS), ...world.siblingDistrictMembers.slice(0, SEEDED_SIBLING_DISTRICT_MEMBERS)];
  expect(first.balances.map((b: { member_id: string }) => b.member_id).sort()).toEqual(seeded.map((m) => m.id).sort());
  expect(first.balances.every((b: { balance: number }) => b.balance > 0)).toBe(true);
  // The first member's history includes an order from the mall.
  expect(await db.query(`SELECT 1 FROM reward_orders WHERE member_id = $1`, [world.districtMembers[0].id])).toHaveLength(1);
  expect(await ledgerViolations(db)).toEqual([]);

  await seedPointsDemo(db, world);
  expect(await snapshot()).toEqual(first);
});
