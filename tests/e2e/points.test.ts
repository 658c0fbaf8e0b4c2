import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { SEEDED_DISTRICT_MEMBERS } from '../../subgraphs/points/src/seed/points-seed';
import { errorCodes, gql, memberToken, partnerToken } from '../testkit/client';
import { startSystem, type RunningSystem } from '../testkit/system';

/**
 * Points through the gateway with real tokens: earning, the points mall, cancellations, expiry,
 * the two races of the issue, and every bad input (each refused with its code, writing nothing).
 */

let system: RunningSystem;
let sql: Client;
const tokens: Record<'platform' | 'district' | 'sibling' | 'city' | 'hospital', string> = {} as never;

beforeAll(async () => {
  system = await startSystem();
  sql = new Client({ connectionString: system.databaseUrl });
  await sql.connect();
  [tokens.platform, tokens.district, tokens.sibling, tokens.city, tokens.hospital] = await Promise.all([
    partnerToken(system, 'platform'),
    partnerToken(system, 'districtUnion'),
    partnerToken(system, 'siblingDistrictUnion'),
    partnerToken(system, 'cityUnion'),
    partnerToken(system, 'hospital'),
  ]);
});
afterAll(async () => {
  await sql?.end();
  await system?.stop();
});

/** Fixture members of districtUnion that the demo seed gave no points (one per test, so tests stay independent). */
let nextFresh = SEEDED_DISTRICT_MEMBERS;
function freshDistrictMember(): string {
  const members = system.credentials.members;
  // demo-fixtures.md: at least 10 district members come first; the seed gave points to the first SEEDED_DISTRICT_MEMBERS.
  if (nextFresh >= 10) throw new Error('out of fresh district fixture members');
  return members[nextFresh++].id;
}

const AWARD = `mutation ($input: AwardPointsInput!) { awardPoints(input: $input) { id kind amount balanceAfter rule sourceRef createdAt } }`;
const CREATE_REWARD = `mutation ($input: CreateRewardInput!) { createReward(input: $input) { id name pointsCost stock } }`;
const REDEEM = `mutation ($rewardId: ID!, $quantity: Int!) { redeemReward(rewardId: $rewardId, quantity: $quantity) { id quantity pointsSpent status createdAt cancelledAt reward { id stock } } }`;
const CANCEL = `mutation ($orderId: ID!) { cancelRewardOrder(orderId: $orderId) { id status pointsSpent cancelledAt reward { id stock } } }`;
const MY_POINTS = `{ me { id points { balance lifetimeEarned nextExpiringAmount nextExpiringAt transactions(first: 10) { totalCount nodes { kind amount balanceAfter rule sourceRef } } } } }`;

async function award(token: string, input: Record<string, unknown>) {
  return gql(system, token, AWARD, { input });
}

async function createReward(name: string, pointsCost: number, stock: number): Promise<string> {
  const res = await gql(system, tokens.platform, CREATE_REWARD, { input: { name, pointsCost, stock } });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.createReward.id;
}

async function balanceOf(memberId: string): Promise<number> {
  const res = await gql(system, tokens.platform, `query ($id: ID!) { member(id: $id) { points { balance } } }`, { id: memberId });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.member.points.balance;
}

/** Every row of the points schema that a refused request could have written. */
async function pointsFootprint() {
  const { rows } = await sql.query(`SELECT
      (SELECT count(*) FROM points.points_transactions)::int AS lines,
      (SELECT count(*) FROM points.points_accounts)::int AS accounts,
      (SELECT count(*) FROM points.reward_orders)::int AS orders,
      (SELECT count(*) FROM points.rewards)::int AS rewards,
      (SELECT coalesce(sum(stock), 0) FROM points.rewards)::int AS stock,
      (SELECT coalesce(sum(points), 0) FROM points.points_earning_caps)::int AS capped`);
  return rows[0];
}

function runExpiryCli(): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(__dirname, '..', '..', 'subgraphs/points/dist/expire.js')], {
    env: { PATH: process.env.PATH, DATABASE_URL: system.databaseUrl },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

describe('a member earns, spends, cancels and sees an expiry', () => {
  it('goes through the whole life of points with real tokens', async () => {
    const memberId = freshDistrictMember();
    const member = await memberToken(system, memberId);
    expect(await balanceOf(memberId)).toBe(0);

    // Earning: the district union awards an activity; a retry answers the same line.
    const earned = await award(tokens.district, { memberId, rule: 'ACTIVITY', sourceRef: 'e2e:labour-day-run', amount: 120 });
    expect(earned.body.errors).toBeUndefined();
    expect(earned.body.data!.awardPoints).toMatchObject({ kind: 'EARN', amount: 120, balanceAfter: 120, rule: 'ACTIVITY', sourceRef: 'e2e:labour-day-run' });
    const retried = await award(tokens.district, { memberId, rule: 'ACTIVITY', sourceRef: 'e2e:labour-day-run', amount: 120 });
    expect(retried.body.data!.awardPoints.id).toBe(earned.body.data!.awardPoints.id);
    const signIn = await award(tokens.platform, { memberId, rule: 'DAILY_SIGN_IN', sourceRef: 'e2e:sign-in' });
    expect(signIn.body.data!.awardPoints).toMatchObject({ amount: 2, balanceAfter: 122 });

    // The member sees the balance and when it expires: end of next year, Asia/Shanghai.
    const mine = await gql(system, member, MY_POINTS);
    expect(mine.body.errors).toBeUndefined();
    const shanghaiYear = new Date(Date.now() + 8 * 3600_000).getUTCFullYear();
    expect(mine.body.data!.me.points).toMatchObject({
      balance: 122,
      lifetimeEarned: 122,
      nextExpiringAmount: 122,
      nextExpiringAt: `${shanghaiYear + 1}-12-31T16:00:00.000Z`,
    });

    // Spending: the catalog is visible to the member; an order takes points and stock together.
    const rewardId = await createReward('工会定制保温杯 (e2e)', 50, 3);
    const catalog = await gql(system, member, `{ rewards(first: 100) { totalCount nodes { id name pointsCost stock } } }`);
    expect(catalog.body.data!.rewards.nodes).toContainEqual({ id: rewardId, name: '工会定制保温杯 (e2e)', pointsCost: 50, stock: 3 });
    const placed = await gql(system, member, REDEEM, { rewardId, quantity: 2 });
    expect(placed.body.errors).toBeUndefined();
    const order = placed.body.data!.redeemReward;
    expect(order).toMatchObject({ quantity: 2, pointsSpent: 100, status: 'PLACED', cancelledAt: null, reward: { id: rewardId, stock: 1 } });
    expect(await balanceOf(memberId)).toBe(22);

    // Cancelling: the points come back as a REVERSAL, the stock too; only once.
    const cancelled = await gql(system, member, CANCEL, { orderId: order.id });
    expect(cancelled.body.errors).toBeUndefined();
    expect(cancelled.body.data!.cancelRewardOrder).toMatchObject({ id: order.id, status: 'CANCELLED', reward: { stock: 3 } });
    const orders = await gql(system, member, `{ me { rewardOrders(first: 5) { totalCount nodes { id status pointsSpent reward { name } } } } }`);
    expect(orders.body.data!.me.rewardOrders).toEqual({
      totalCount: 1,
      nodes: [{ id: order.id, status: 'CANCELLED', pointsSpent: 100, reward: { name: '工会定制保温杯 (e2e)' } }],
    });
    const again = await gql(system, member, CANCEL, { orderId: order.id });
    expect(errorCodes(again)).toEqual(['BAD_USER_INPUT']);
    const afterCancel = await gql(system, member, MY_POINTS);
    expect(afterCancel.body.data!.me.points.balance).toBe(122);
    expect(
      afterCancel.body.data!.me.points.transactions.nodes.map((t: { kind: string; amount: number; balanceAfter: number }) => [
        t.kind,
        t.amount,
        t.balanceAfter,
      ]),
    ).toEqual([
      ['REVERSAL', 100, 122],
      ['SPEND', -100, 22],
      ['EARN', 2, 122],
      ['EARN', 120, 120],
    ]);
    expect(afterCancel.body.data!.me.points.transactions.nodes[0].sourceRef).toBe(`reward-order:${order.id}`);

    // Expiry: test-only, the member's points were earned two years ago and their date has passed.
    await sql.query(`UPDATE points.points_lots SET earned_at = now() - interval '2 years', expires_at = now() - interval '1 second' WHERE member_id = $1`, [
      memberId,
    ]);
    const run = runExpiryCli();
    expect(run).toMatchObject({ status: 0, stderr: '' });
    // One JSON log line, like every service's (pino).
    const line = JSON.parse(run.stdout.trim()) as { service: string; points: number; members: number; msg: string };
    expect(line).toMatchObject({ service: 'points-expiry', points: 122, members: 1 });
    expect(line.msg).toMatch(/^points expiry: \d+ points expired for \d+ members$/);
    const expired = await gql(system, member, MY_POINTS);
    expect(expired.body.data!.me.points).toMatchObject({ balance: 0, lifetimeEarned: 122, nextExpiringAmount: 0, nextExpiringAt: null });
    expect(expired.body.data!.me.points.transactions.nodes[0]).toMatchObject({ kind: 'EXPIRE', amount: -122, balanceAfter: 0 });
    expect(expired.body.data!.me.points.transactions.totalCount).toBe(5);

    // A second run finds nothing left to expire.
    expect(JSON.parse(runExpiryCli().stdout.trim())).toMatchObject({ points: 0, members: 0, msg: 'points expiry: 0 points expired for 0 members' });
    expect(await balanceOf(memberId)).toBe(0);
  });

  it("shows Member.points to the member's union chain and PLATFORM, not to another district", async () => {
    // (The points field's own check, for members reached some other way, is tested in tests/integration/points-ledger.test.ts.)
    const memberId = system.credentials.members[0].id; // seeded with points
    const query = `query ($id: ID!) { member(id: $id) { points { balance transactions(first: 3) { totalCount } } } }`;
    for (const token of [tokens.city, tokens.district, tokens.platform]) {
      const res = await gql(system, token, query, { id: memberId });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.member.points.balance).toBeGreaterThan(0);
    }
    // Another district does not see the member at all (the member subgraph answers null), so no points either.
    const outsider = await gql(system, tokens.sibling, query, { id: memberId });
    expect(outsider.body.data?.member ?? null).toBeNull();
  });
});

describe('races through the gateway', () => {
  it('30 concurrent orders of a 10-point reward with stock 5 by a member with 100 points: exactly 5 placed', async () => {
    const memberId = freshDistrictMember();
    const topUp = await award(tokens.platform, { memberId, rule: 'ACTIVITY', sourceRef: 'e2e:race-top-up', amount: 100 });
    expect(topUp.body.data!.awardPoints.balanceAfter).toBe(100);
    const rewardId = await createReward('电影票兑换券 (race)', 10, 5);
    const member = await memberToken(system, memberId);

    const responses = await Promise.all(Array.from({ length: 30 }, () => gql(system, member, REDEEM, { rewardId, quantity: 1 })));
    const placed = responses.filter((r) => !r.body.errors && r.body.data?.redeemReward?.status === 'PLACED');
    const refused = responses.flatMap((r) => errorCodes(r));
    expect(placed).toHaveLength(5);
    expect(refused).toHaveLength(25);
    for (const code of refused) expect(['OUT_OF_STOCK', 'INSUFFICIENT_POINTS']).toContain(code);

    expect(await balanceOf(memberId)).toBe(50);
    const { rows } = await sql.query(`SELECT stock FROM points.rewards WHERE id = $1`, [rewardId]);
    expect(rows[0].stock).toBe(0);
  });

  it('20 concurrent READ_ARTICLE awards with distinct sourceRefs in one day: exactly 20 points', async () => {
    const memberId = freshDistrictMember();
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => award(tokens.district, { memberId, rule: 'READ_ARTICLE', sourceRef: `e2e:article:${i}` })),
    );
    const awarded = responses.filter((r) => !r.body.errors);
    expect(awarded).toHaveLength(4);
    expect(responses.flatMap((r) => errorCodes(r))).toEqual(Array(16).fill('DAILY_CAP_REACHED'));
    expect(await balanceOf(memberId)).toBe(20);
  });
});

describe('bad input: the contract error, and nothing written', () => {
  let memberId: string;
  let member: string;
  let rewardId: string;
  let othersOrderId: string;

  beforeAll(async () => {
    memberId = freshDistrictMember();
    member = await memberToken(system, memberId);
    await award(tokens.platform, { memberId, rule: 'ACTIVITY', sourceRef: 'e2e:bad-input-top-up', amount: 30 });
    rewardId = await createReward('话费充值券 10元 (e2e)', 10, 2);
    // An order of another (seeded) member, for the "someone else's order" case.
    const owner = system.credentials.members[1].id;
    const ownerToken = await memberToken(system, owner);
    const placed = await gql(system, ownerToken, REDEEM, { rewardId, quantity: 1 });
    expect(placed.body.errors).toBeUndefined();
    othersOrderId = placed.body.data!.redeemReward.id;
  });

  const cases: Array<[string, () => { token: string; query: string; variables: Record<string, unknown> }, string]> = [
    [
      'an unknown member',
      () => ({ token: tokens.platform, query: AWARD, variables: { input: { memberId: randomUUID(), rule: 'ACTIVITY', sourceRef: 'x', amount: 5 } } }),
      'NOT_FOUND',
    ],
    [
      'a malformed member id',
      () => ({ token: tokens.platform, query: AWARD, variables: { input: { memberId: 'nope', rule: 'ACTIVITY', sourceRef: 'x', amount: 5 } } }),
      'NOT_FOUND',
    ],
    [
      "a member outside the awarding union's subtree",
      () => ({ token: tokens.sibling, query: AWARD, variables: { input: { memberId, rule: 'ACTIVITY', sourceRef: 'x', amount: 5 } } }),
      'FORBIDDEN',
    ],
    [
      'an ACTIVITY amount of 0',
      () => ({ token: tokens.district, query: AWARD, variables: { input: { memberId, rule: 'ACTIVITY', sourceRef: 'x', amount: 0 } } }),
      'BAD_USER_INPUT',
    ],
    [
      'an ACTIVITY amount over 1,000',
      () => ({ token: tokens.district, query: AWARD, variables: { input: { memberId, rule: 'ACTIVITY', sourceRef: 'x', amount: 1001 } } }),
      'BAD_USER_INPUT',
    ],
    [
      'an ACTIVITY without amount',
      () => ({ token: tokens.district, query: AWARD, variables: { input: { memberId, rule: 'ACTIVITY', sourceRef: 'x' } } }),
      'BAD_USER_INPUT',
    ],
    [
      'a sourceRef over 200 characters',
      () => ({ token: tokens.district, query: AWARD, variables: { input: { memberId, rule: 'READ_ARTICLE', sourceRef: 'r'.repeat(201) } } }),
      'BAD_USER_INPUT',
    ],
    [
      'an unknown rule',
      () => ({ token: tokens.district, query: AWARD, variables: { input: { memberId, rule: 'BIRTHDAY', sourceRef: 'x' } } }),
      'BAD_USER_INPUT',
    ],
    [
      'an ACTIVITY retry with another amount',
      () => ({ token: tokens.platform, query: AWARD, variables: { input: { memberId, rule: 'ACTIVITY', sourceRef: 'e2e:bad-input-top-up', amount: 31 } } }),
      'IDEMPOTENCY_CONFLICT',
    ],
    [
      'awardPoints by a hospital (no points:award)',
      () => ({ token: tokens.hospital, query: AWARD, variables: { input: { memberId, rule: 'ACTIVITY', sourceRef: 'x', amount: 5 } } }),
      'FORBIDDEN',
    ],
    ['a quantity of 0', () => ({ token: member, query: REDEEM, variables: { rewardId, quantity: 0 } }), 'BAD_USER_INPUT'],
    ['a quantity of 10,000', () => ({ token: member, query: REDEEM, variables: { rewardId, quantity: 10_000 } }), 'BAD_USER_INPUT'],
    ['an unknown reward', () => ({ token: member, query: REDEEM, variables: { rewardId: randomUUID(), quantity: 1 } }), 'NOT_FOUND'],
    ['more than the stock', () => ({ token: member, query: REDEEM, variables: { rewardId, quantity: 2 } }), 'OUT_OF_STOCK'],
    ['more points than the balance', () => ({ token: member, query: REDEEM, variables: { rewardId: dearRewardId, quantity: 1 } }), 'INSUFFICIENT_POINTS'],
    ['redeemReward with a partner token', () => ({ token: tokens.platform, query: REDEEM, variables: { rewardId, quantity: 1 } }), 'FORBIDDEN'],
    ["cancelling someone else's order", () => ({ token: member, query: CANCEL, variables: { orderId: othersOrderId } }), 'NOT_FOUND'],
    ['cancelling an unknown order', () => ({ token: member, query: CANCEL, variables: { orderId: randomUUID() } }), 'NOT_FOUND'],
    ['cancelling by a union', () => ({ token: tokens.district, query: CANCEL, variables: { orderId: othersOrderId } }), 'FORBIDDEN'],
    [
      'createReward by a union',
      () => ({ token: tokens.city, query: CREATE_REWARD, variables: { input: { name: 'x', pointsCost: 1, stock: 1 } } }),
      'FORBIDDEN',
    ],
    [
      'a reward costing 0 points',
      () => ({ token: tokens.platform, query: CREATE_REWARD, variables: { input: { name: 'x', pointsCost: 0, stock: 1 } } }),
      'BAD_USER_INPUT',
    ],
    [
      'a reward with negative stock',
      () => ({ token: tokens.platform, query: CREATE_REWARD, variables: { input: { name: 'x', pointsCost: 1, stock: -1 } } }),
      'BAD_USER_INPUT',
    ],
    ['rewards(first: 101)', () => ({ token: member, query: `{ rewards(first: 101) { totalCount } }`, variables: {} }), 'BAD_USER_INPUT'],
    [
      'a cursor of another list',
      () => ({ token: member, query: `query ($after: String) { rewards(after: $after) { totalCount } }`, variables: { after: 'eyJ4IjoxfQ.forged' } }),
      'BAD_USER_INPUT',
    ],
  ];
  let dearRewardId: string;
  beforeAll(async () => {
    dearRewardId = await createReward('职工体检套餐 (e2e)', 2000, 10);
  });

  it.each(cases)('%s', async (_name, request, code) => {
    const before = await pointsFootprint();
    const { token, query, variables } = request();
    const res = await gql(system, token, query, variables);
    expect(errorCodes(res)).toEqual([code]);
    expect(JSON.stringify(res.body)).not.toMatch(/stacktrace|at .*\.js:\d+/);
    expect(await pointsFootprint()).toEqual(before);
  });

  it('cancelling an order already cancelled (by the platform)', async () => {
    const placed = await gql(system, member, REDEEM, { rewardId, quantity: 1 });
    const orderId = placed.body.data!.redeemReward.id;
    const first = await gql(system, tokens.platform, CANCEL, { orderId });
    expect(first.body.data!.cancelRewardOrder.status).toBe('CANCELLED');
    const before = await pointsFootprint();
    const second = await gql(system, tokens.platform, CANCEL, { orderId });
    expect(errorCodes(second)).toEqual(['BAD_USER_INPUT']);
    expect(await pointsFootprint()).toEqual(before);
    expect(await balanceOf(memberId)).toBe(30);
  });
});
