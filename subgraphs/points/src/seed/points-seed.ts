import { DEMO_PARTNERS, type DemoMemberRef, type DemoWorld } from '@union/common';
import type { DataSource } from 'typeorm';
import { DEFAULT_EXPIRY_POLICY } from '../config';
import type { PointsRule } from '../modules/points/points.entity';
import type { LedgerActor } from '../modules/points/points.ledger';
import { recordAward } from '../modules/points/points.service';
import { placeOrder } from '../modules/reward/reward.service';

/** Fixed ids, so the README and the examples can name the demo rewards. */
export const DEMO_REWARDS = [
  { id: 'c0000000-0000-4000-8000-000000000001', name: '工会定制保温杯', pointsCost: 300, stock: 200 },
  { id: 'c0000000-0000-4000-8000-000000000002', name: '电影票兑换券', pointsCost: 150, stock: 500 },
  { id: 'c0000000-0000-4000-8000-000000000003', name: '话费充值券 10元', pointsCost: 100, stock: 1000 },
  { id: 'c0000000-0000-4000-8000-000000000004', name: '职工体检套餐', pointsCost: 2000, stock: 50 },
  { id: 'c0000000-0000-4000-8000-000000000005', name: '环保购物袋', pointsCost: 50, stock: 1000 },
] as const;

/**
 * How many fixture members get demo points: the first ones of each district. The others start at
 * zero, which the end-to-end tests rely on ("a member with 100 points" is a fresh member plus 100).
 */
export const SEEDED_DISTRICT_MEMBERS = 6;
export const SEEDED_SIBLING_DISTRICT_MEMBERS = 1;

const PLATFORM: LedgerActor = { kind: 'PLATFORM', id: DEMO_PARTNERS.platform.id };
const DISTRICT_UNION: LedgerActor = { kind: 'UNION', id: DEMO_PARTNERS.districtUnion.id };
const SIBLING_UNION: LedgerActor = { kind: 'UNION', id: DEMO_PARTNERS.siblingDistrictUnion.id };

/**
 * The points mall catalog and a little history for the first fixture members, written through the
 * same ledger functions as the API (so every demo balance is explained by its lines). Awards are
 * idempotent by their sourceRefs; the demo order is placed only when the catalog was empty, so a
 * second run changes nothing.
 */
export async function seedPointsDemo(db: DataSource, world: DemoWorld): Promise<void> {
  const created: Array<{ id: string }> = await db.query(
    `INSERT INTO rewards (id, name, points_cost, stock, created_by)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::text[])
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [
      DEMO_REWARDS.map((r) => r.id),
      DEMO_REWARDS.map((r) => r.name),
      DEMO_REWARDS.map((r) => r.pointsCost),
      DEMO_REWARDS.map((r) => r.stock),
      DEMO_REWARDS.map(() => DEMO_PARTNERS.platform.id),
    ],
  );
  const firstRun = created.length === DEMO_REWARDS.length;

  const award = (member: DemoMemberRef, rule: PointsRule, sourceRef: string, actor: LedgerActor, amount?: number) =>
    recordAward(db, { memberId: member.id, rule, sourceRef, amount }, { actor, policy: DEFAULT_EXPIRY_POLICY });

  const members = [
    ...world.districtMembers.slice(0, SEEDED_DISTRICT_MEMBERS).map((m) => ({ member: m, union: DISTRICT_UNION })),
    ...world.siblingDistrictMembers.slice(0, SEEDED_SIBLING_DISTRICT_MEMBERS).map((m) => ({ member: m, union: SIBLING_UNION })),
  ];
  for (const [index, { member, union }] of members.entries()) {
    await award(member, 'REAL_NAME_VERIFIED', 'demo:real-name-verified', PLATFORM);
    await award(member, 'DAILY_SIGN_IN', 'demo:sign-in', PLATFORM);
    for (let article = 1; article <= 1 + (index % 3); article++) await award(member, 'READ_ARTICLE', `demo:article:${article}`, PLATFORM);
    await award(member, 'ACTIVITY', 'demo:activity:labour-day-run', union, 50 * (index + 1));
  }

  // One order in the history of the first member, so the demo ledger shows a SPEND too.
  const first = world.districtMembers[0];
  if (firstRun && first) {
    await placeOrder(db, { memberId: first.id, rewardId: DEMO_REWARDS[2].id, quantity: 1 }, { actor: { kind: 'MEMBER', id: first.id } });
  }
}
