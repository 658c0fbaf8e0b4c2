import { randomUUID } from 'node:crypto';
import { shanghaiDate, shanghaiYear, shanghaiYearStart } from '@union/common';
import type { DataSource } from 'typeorm';
import { DEFAULT_EXPIRY_POLICY } from '../../subgraphs/points/src/config';
import { runExpiry, scheduleExpiry } from '../../subgraphs/points/src/modules/points/points.expiry';
import { MemberPointsResolver } from '../../subgraphs/points/src/modules/member/member.resolver';
import { awardPoints, recordAward, type AwardRequest } from '../../subgraphs/points/src/modules/points/points.service';
import { cancelOrder, cancelRewardOrder, createReward, listRewards, placeOrder, redeemReward } from '../../subgraphs/points/src/modules/reward/reward.service';
import {
  asMember,
  balanceOf,
  codeOf,
  contextFor,
  districtUnion,
  ledgerViolations,
  linesOf,
  memberFacts,
  openPointsDatabase,
  platform,
  siblingUnion,
} from './points-fixtures';

let db: DataSource;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ db, close } = await openPointsDatabase());
});
afterAll(async () => {
  // Whatever a test did, the ledger must still explain every balance.
  expect(await ledgerViolations(db)).toEqual([]);
  await close();
});

const actor = { kind: 'PLATFORM', id: platform.id };
const award = (request: AwardRequest) => recordAward(db, request, { actor, policy: DEFAULT_EXPIRY_POLICY });
const activity = (memberId: string, amount: number, sourceRef: string = randomUUID()) => award({ memberId, rule: 'ACTIVITY', sourceRef, amount });

const order = (memberId: string, rewardId: string, quantity = 1) =>
  placeOrder(db, { memberId, rewardId, quantity }, { actor: { kind: 'MEMBER', id: memberId } });

/** Test-only: the lot was earned two years ago and its expiry date has just passed. */
const backdate = (lotId: string) =>
  db.query(`UPDATE points_lots SET earned_at = now() - interval '2 years', expires_at = now() - interval '1 second' WHERE id = $1`, [lotId]);

async function newReward(pointsCost: number, stock: number): Promise<string> {
  const reward = await createReward(contextFor(db, platform, []), { name: `测试奖品 ${randomUUID().slice(0, 8)}`, pointsCost, stock });
  return reward.id;
}

const stockOf = async (rewardId: string) => Number((await db.query(`SELECT stock FROM rewards WHERE id = $1`, [rewardId]))[0].stock);
const countLines = async () => Number((await db.query(`SELECT count(*) AS n FROM points_transactions`))[0].n);

describe('earning', () => {
  it('awards the rule amount, opens a lot expiring at the end of the following Asia/Shanghai year', async () => {
    const memberId = randomUUID();
    const line = await award({ memberId, rule: 'READ_ARTICLE', sourceRef: 'article-1' });
    expect(line).toMatchObject({ kind: 'EARN', rule: 'READ_ARTICLE', sourceRef: 'article-1' });
    expect(Number(line.amount)).toBe(5);
    expect(Number(line.balanceAfter)).toBe(5);
    const [lot] = await db.query(`SELECT amount, remaining, expires_at FROM points_lots WHERE id = $1`, [line.id]);
    expect(lot).toMatchObject({ amount: 5, remaining: 5 });
    expect(lot.expires_at.toISOString()).toBe(shanghaiYearStart(shanghaiYear(line.createdAt) + 2).toISOString());
  });

  it('answers a repeated (member, rule, sourceRef) with the original line and writes nothing', async () => {
    const memberId = randomUUID();
    const first = await activity(memberId, 30, 'labour-day-run');
    const before = await countLines();
    const again = await activity(memberId, 30, 'labour-day-run');
    expect(again.id).toBe(first.id);
    expect(await countLines()).toBe(before);
    expect(await codeOf(activity(memberId, 31, 'labour-day-run'))).toBe('IDEMPOTENCY_CONFLICT');
    expect(await balanceOf(db, memberId)).toBe(30);
  });

  it('caps READ_ARTICLE at 20 points a day and DAILY_SIGN_IN at one a day, writing nothing when refused', async () => {
    const memberId = randomUUID();
    for (let i = 1; i <= 4; i++) await award({ memberId, rule: 'READ_ARTICLE', sourceRef: `a${i}` });
    const before = await countLines();
    expect(await codeOf(award({ memberId, rule: 'READ_ARTICLE', sourceRef: 'a5' }))).toBe('DAILY_CAP_REACHED');
    // A replay of an article already counted is still answered with its line.
    expect((await award({ memberId, rule: 'READ_ARTICLE', sourceRef: 'a2' })).sourceRef).toBe('a2');
    await award({ memberId, rule: 'DAILY_SIGN_IN', sourceRef: 'd1' });
    expect(await codeOf(award({ memberId, rule: 'DAILY_SIGN_IN', sourceRef: 'd2' }))).toBe('DAILY_CAP_REACHED');
    await award({ memberId, rule: 'REAL_NAME_VERIFIED', sourceRef: 'r1' });
    expect(await codeOf(award({ memberId, rule: 'REAL_NAME_VERIFIED', sourceRef: 'r2' }))).toBe('DAILY_CAP_REACHED');
    expect(await countLines()).toBe(before + 2);
    expect(await balanceOf(db, memberId)).toBe(20 + 2 + 100);
  });

  it('keeps one cap counter per member and rule, started again by a new Asia/Shanghai day', async () => {
    const memberId = randomUUID();
    for (let i = 1; i <= 4; i++) await award({ memberId, rule: 'READ_ARTICLE', sourceRef: `yesterday-${i}` });
    // Test-only: the counter was filled on an earlier day.
    await db.query(`UPDATE points_earning_caps SET period = '2000-01-01' WHERE member_id = $1`, [memberId]);
    const today = await award({ memberId, rule: 'READ_ARTICLE', sourceRef: 'today-1' });
    for (let i = 2; i <= 4; i++) await award({ memberId, rule: 'READ_ARTICLE', sourceRef: `today-${i}` });
    expect(await codeOf(award({ memberId, rule: 'READ_ARTICLE', sourceRef: 'today-5' }))).toBe('DAILY_CAP_REACHED');
    // Past days need no row: the table holds at most one counter per member and rule, not one per day.
    expect(await db.query(`SELECT rule, period, points FROM points_earning_caps WHERE member_id = $1`, [memberId])).toEqual([
      { rule: 'READ_ARTICLE', period: shanghaiDate(today.createdAt), points: 20 },
    ]);
    expect(await balanceOf(db, memberId)).toBe(40);
  });

  it('holds the daily cap under 20 concurrent READ_ARTICLE awards: exactly 20 points', async () => {
    const memberId = randomUUID();
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => codeOf(award({ memberId, rule: 'READ_ARTICLE', sourceRef: `race-${i}` }))));
    expect(outcomes.filter((c) => c === 'NO_ERROR')).toHaveLength(4);
    expect(outcomes.filter((c) => c === 'DAILY_CAP_REACHED')).toHaveLength(16);
    expect(await balanceOf(db, memberId)).toBe(20);
  });

  it('records one award for 10 concurrent repeats of the same sourceRef', async () => {
    const memberId = randomUUID();
    const lines = await Promise.all(Array.from({ length: 10 }, () => activity(memberId, 7, 'same-ref')));
    expect(new Set(lines.map((l) => l.id)).size).toBe(1);
    expect(await balanceOf(db, memberId)).toBe(7);
  });

  it.each([
    ['ACTIVITY amount 0', { rule: 'ACTIVITY', amount: 0 }],
    ['ACTIVITY amount 1001', { rule: 'ACTIVITY', amount: 1001 }],
    ['ACTIVITY without amount', { rule: 'ACTIVITY' }],
    ['ACTIVITY amount 2.5', { rule: 'ACTIVITY', amount: 2.5 }],
    ['READ_ARTICLE with another amount', { rule: 'READ_ARTICLE', amount: 50 }],
    ['sourceRef of 201 characters', { rule: 'READ_ARTICLE', sourceRef: 'x'.repeat(201) }],
    ['empty sourceRef', { rule: 'READ_ARTICLE', sourceRef: '  ' }],
    ['sourceRef with a NUL character (PostgreSQL text cannot hold it)', { rule: 'READ_ARTICLE', sourceRef: 'article\u00001' }],
  ] as const)('refuses %s with BAD_USER_INPUT and writes nothing', async (_name, input) => {
    const before = await countLines();
    const memberId = randomUUID();
    const request = { memberId, sourceRef: randomUUID(), ...input } as AwardRequest;
    expect(await codeOf(award(request))).toBe('BAD_USER_INPUT');
    expect(await countLines()).toBe(before);
    expect(await db.query(`SELECT 1 FROM points_accounts WHERE member_id = $1`, [memberId])).toHaveLength(0);
  });

  it('accepts a sourceRef of exactly 200 characters (counted as characters, not bytes)', async () => {
    const line = await award({ memberId: randomUUID(), rule: 'READ_ARTICLE', sourceRef: '文'.repeat(200) });
    expect(line.sourceRef).toHaveLength(200);
  });
});

describe('awardPoints authorization', () => {
  const inDistrict = memberFacts();
  const elsewhere = memberFacts({ organizationChain: [randomUUID(), randomUUID()] });
  const suspended = memberFacts({ status: 'SUSPENDED' });
  const unverified = memberFacts({ realNameVerified: false });
  const members = [inDistrict, elsewhere, suspended, unverified];
  const input = (memberId: string, rule: AwardRequest['rule'] = 'ACTIVITY') => ({
    memberId,
    rule,
    sourceRef: randomUUID(),
    amount: rule === 'ACTIVITY' ? 10 : null,
  });

  it('lets a UNION award in its subtree and PLATFORM anywhere', async () => {
    await awardPoints(contextFor(db, districtUnion, members), input(inDistrict.id));
    await awardPoints(contextFor(db, platform, members), input(elsewhere.id));
    expect(await balanceOf(db, inDistrict.id)).toBe(10);
    expect(await balanceOf(db, elsewhere.id)).toBe(10);
  });

  it('refuses members outside the union subtree, unknown members, inactive and unverified ones', async () => {
    const before = await countLines();
    expect(await codeOf(awardPoints(contextFor(db, siblingUnion, members), input(inDistrict.id)))).toBe('FORBIDDEN');
    expect(await codeOf(awardPoints(contextFor(db, districtUnion, members), input(elsewhere.id)))).toBe('FORBIDDEN');
    expect(await codeOf(awardPoints(contextFor(db, platform, members), input(randomUUID())))).toBe('NOT_FOUND');
    expect(await codeOf(awardPoints(contextFor(db, platform, members), input('not-a-uuid')))).toBe('NOT_FOUND');
    expect(await codeOf(awardPoints(contextFor(db, platform, members), input(suspended.id)))).toBe('NOT_ELIGIBLE');
    expect(await codeOf(awardPoints(contextFor(db, platform, members), input(unverified.id, 'REAL_NAME_VERIFIED')))).toBe('NOT_ELIGIBLE');
    expect(await codeOf(awardPoints(contextFor(db, platform, members), { ...input(inDistrict.id), amount: 0 }))).toBe('BAD_USER_INPUT');
    expect(await countLines()).toBe(before);
  });
});

describe('the points mall', () => {
  it('spends points and takes stock together, oldest-expiring points first', async () => {
    const memberId = randomUUID();
    const older = await activity(memberId, 10);
    const newer = await activity(memberId, 10);
    // Test-only: make the second lot expire first (as if earned a year earlier).
    await db.query(`UPDATE points_lots SET expires_at = expires_at - interval '1 year' WHERE id = $1`, [newer.id]);
    const rewardId = await newReward(15, 3);
    const placed = await order(memberId, rewardId);
    expect(placed).toMatchObject({ status: 'PLACED', quantity: 1, pointsSpent: 15 });
    expect(await balanceOf(db, memberId)).toBe(5);
    expect(await stockOf(rewardId)).toBe(2);
    const lots = await db.query(`SELECT id, remaining FROM points_lots WHERE member_id = $1`, [memberId]);
    expect(Object.fromEntries(lots.map((l: { id: string; remaining: number }) => [l.id, l.remaining]))).toEqual({ [newer.id]: 0, [older.id]: 5 });
    expect((await linesOf(db, memberId)).at(-1)).toEqual({ kind: 'SPEND', amount: -15, balance_after: 5, source_ref: `reward-order:${placed.id}` });
  });

  it('refuses unknown rewards, bad quantities, short stock and short balances, writing nothing', async () => {
    const memberId = randomUUID();
    await activity(memberId, 40);
    const rewardId = await newReward(10, 2);
    const before = await countLines();
    expect(await codeOf(order(memberId, randomUUID()))).toBe('NOT_FOUND');
    expect(await codeOf(order(memberId, 'nope'))).toBe('NOT_FOUND');
    expect(await codeOf(order(memberId, rewardId, 0))).toBe('BAD_USER_INPUT');
    expect(await codeOf(order(memberId, rewardId, 10_000))).toBe('BAD_USER_INPUT');
    expect(await codeOf(order(memberId, rewardId, 3))).toBe('OUT_OF_STOCK');
    const dear = await newReward(41, 5);
    expect(await codeOf(order(memberId, dear))).toBe('INSUFFICIENT_POINTS');
    expect(await codeOf(order(randomUUID(), rewardId))).toBe('INSUFFICIENT_POINTS');
    expect(await countLines()).toBe(before);
    expect(await stockOf(rewardId)).toBe(2);
    expect(await stockOf(dear)).toBe(5);
    expect(await balanceOf(db, memberId)).toBe(40);
  });

  it('places exactly 5 of 30 concurrent 10-point orders against stock 5 with 100 points', async () => {
    const memberId = randomUUID();
    await activity(memberId, 100);
    const rewardId = await newReward(10, 5);
    const outcomes = await Promise.all(Array.from({ length: 30 }, () => codeOf(order(memberId, rewardId))));
    expect(outcomes.filter((c) => c === 'NO_ERROR')).toHaveLength(5);
    expect(outcomes.filter((c) => c !== 'NO_ERROR').every((c) => c === 'OUT_OF_STOCK' || c === 'INSUFFICIENT_POINTS')).toBe(true);
    expect(await balanceOf(db, memberId)).toBe(50);
    expect(await stockOf(rewardId)).toBe(0);
  });

  it('never overdraws when many members race for stock and one member races for points', async () => {
    const rich = randomUUID();
    await activity(rich, 35);
    const rewardId = await newReward(10, 100);
    const outcomes = await Promise.all(Array.from({ length: 12 }, () => codeOf(order(rich, rewardId))));
    expect(outcomes.filter((c) => c === 'NO_ERROR')).toHaveLength(3);
    expect(outcomes.filter((c) => c === 'INSUFFICIENT_POINTS')).toHaveLength(9);
    expect(await balanceOf(db, rich)).toBe(5);
    expect(await stockOf(rewardId)).toBe(97);
  });

  it('cancels once: points back into their original lots, stock back, then BAD_USER_INPUT', async () => {
    const memberId = randomUUID();
    const earned = await activity(memberId, 50);
    const rewardId = await newReward(20, 10);
    const placed = await order(memberId, rewardId, 2);
    const [lotBefore] = await db.query(`SELECT expires_at FROM points_lots WHERE id = $1`, [earned.id]);
    const cancelled = await cancelOrder(db, { orderId: placed.id, ownerId: memberId }, { actor: { kind: 'MEMBER', id: memberId } });
    expect(cancelled).toMatchObject({ id: placed.id, status: 'CANCELLED' });
    expect(cancelled.cancelledAt).toBeInstanceOf(Date);
    expect(await balanceOf(db, memberId)).toBe(50);
    expect(await stockOf(rewardId)).toBe(10);
    const [lotAfter] = await db.query(`SELECT remaining, expires_at FROM points_lots WHERE id = $1`, [earned.id]);
    expect(lotAfter.remaining).toBe(50);
    expect(lotAfter.expires_at).toEqual(lotBefore.expires_at);
    expect((await linesOf(db, memberId)).map((l) => [l.kind, l.amount, l.balance_after])).toEqual([
      ['EARN', 50, 50],
      ['SPEND', -40, 10],
      ['REVERSAL', 40, 50],
    ]);
    const before = await countLines();
    expect(await codeOf(cancelOrder(db, { orderId: placed.id }, { actor }))).toBe('BAD_USER_INPUT');
    expect(await countLines()).toBe(before);
    expect(await stockOf(rewardId)).toBe(10);
  });

  it('cancels an order once under 10 concurrent cancels', async () => {
    const memberId = randomUUID();
    await activity(memberId, 30);
    const rewardId = await newReward(30, 1);
    const placed = await order(memberId, rewardId);
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => codeOf(cancelOrder(db, { orderId: placed.id }, { actor }))));
    expect(outcomes.filter((c) => c === 'NO_ERROR')).toHaveLength(1);
    expect(outcomes.filter((c) => c === 'BAD_USER_INPUT')).toHaveLength(9);
    expect(await balanceOf(db, memberId)).toBe(30);
    expect(await stockOf(rewardId)).toBe(1);
  });

  it("answers NOT_FOUND for another member's order and for unknown orders", async () => {
    const owner = randomUUID();
    await activity(owner, 10);
    const placed = await order(owner, await newReward(10, 1));
    const intruder = randomUUID();
    expect(await codeOf(cancelRewardOrder(contextFor(db, asMember(intruder), []), placed.id))).toBe('NOT_FOUND');
    expect(await codeOf(cancelRewardOrder(contextFor(db, asMember(owner), []), randomUUID()))).toBe('NOT_FOUND');
    expect(await codeOf(cancelRewardOrder(contextFor(db, districtUnion, []), placed.id))).toBe('FORBIDDEN');
    expect((await cancelRewardOrder(contextFor(db, platform, []), placed.id)).status).toBe('CANCELLED');
  });

  it('lets only members order and only the platform create rewards, with valid values', async () => {
    const rewardId = await newReward(10, 1);
    expect(await codeOf(redeemReward(contextFor(db, platform, []), rewardId, 1))).toBe('FORBIDDEN');
    expect(await codeOf(createReward(contextFor(db, districtUnion, []), { name: 'x', pointsCost: 1, stock: 1 }))).toBe('FORBIDDEN');
    for (const bad of [
      { name: ' ', pointsCost: 1, stock: 1 },
      { name: 'x'.repeat(201), pointsCost: 1, stock: 1 },
      { name: 'x', pointsCost: 0, stock: 1 },
      { name: 'x', pointsCost: 1, stock: -1 },
      { name: '保温杯\u0000', pointsCost: 1, stock: 1 },
    ]) {
      expect(await codeOf(createReward(contextFor(db, platform, []), bad))).toBe('BAD_USER_INPUT');
    }
  });
  it('pages through rewards added within one millisecond without skipping any', async () => {
    // created_at keeps microseconds: rewards added by one statement (the demo seed's five) share a millisecond.
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    await db.query(
      `INSERT INTO rewards (id, name, points_cost, stock, created_at)
       SELECT id, 'same millisecond', 1, 1, '2999-01-01T00:00:00.123456Z'::timestamptz - n * interval '1 microsecond'
         FROM unnest($1::uuid[]) WITH ORDINALITY AS r(id, n)`,
      [ids],
    );
    const ctx = contextFor(db, platform, []);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < ids.length; page++) {
      const { nodes, pageInfo } = await listRewards(ctx, 1, after);
      seen.push(...nodes.map((n) => n.id));
      after = pageInfo.endCursor;
    }
    expect(seen).toEqual(ids);
  });
});

describe('expiry', () => {
  it('expires due lots once, however often and however concurrently it runs', async () => {
    const memberId = randomUUID();
    const due = await activity(memberId, 25);
    await activity(memberId, 5);
    await backdate(due.id);
    const runs = await Promise.all([runExpiry(db), runExpiry(db), runExpiry(db)]);
    expect(runs.reduce((sum, r) => sum + r.points, 0)).toBeGreaterThanOrEqual(25);
    expect(await balanceOf(db, memberId)).toBe(5);
    const expiries = (await linesOf(db, memberId)).filter((l) => l.kind === 'EXPIRE');
    expect(expiries).toEqual([{ kind: 'EXPIRE', amount: -25, balance_after: 5, source_ref: null }]);
    await runExpiry(db);
    expect((await linesOf(db, memberId)).filter((l) => l.kind === 'EXPIRE')).toHaveLength(1);
  });

  it('does not revive expired points when an order that spent them is cancelled', async () => {
    const memberId = randomUUID();
    const lot = await activity(memberId, 30);
    const rewardId = await newReward(20, 1);
    const placed = await order(memberId, rewardId);
    await backdate(lot.id);
    await runExpiry(db);
    expect(await balanceOf(db, memberId)).toBe(0);
    await cancelOrder(db, { orderId: placed.id }, { actor });
    expect(await balanceOf(db, memberId)).toBe(0);
    expect((await linesOf(db, memberId)).map((l) => [l.kind, l.amount, l.balance_after])).toEqual([
      ['EARN', 30, 30],
      ['SPEND', -20, 10],
      ['EXPIRE', -10, 0],
      ['REVERSAL', 20, 20],
      ['EXPIRE', -20, 0],
    ]);
    expect(await stockOf(rewardId)).toBe(1);
  });

  it('expires due points before a spend, so they cannot be spent', async () => {
    const memberId = randomUUID();
    const lot = await activity(memberId, 30);
    await backdate(lot.id);
    expect(await codeOf(order(memberId, await newReward(10, 1)))).toBe('INSUFFICIENT_POINTS');
  });

  it('runs on its own inside the subgraph when a timer interval is set', async () => {
    const memberId = randomUUID();
    const lot = await activity(memberId, 8);
    await backdate(lot.id);
    const logged: string[] = [];
    const stop = scheduleExpiry(db, 1, (line) => logged.push(line));
    try {
      for (let waited = 0; waited < 5000 && (await balanceOf(db, memberId)) !== 0; waited += 100) await new Promise((r) => setTimeout(r, 100));
    } finally {
      await stop();
    }
    expect(await balanceOf(db, memberId)).toBe(0);
    expect(logged.some((line) => /^points expiry: \d+ points expired for \d+ members$/.test(line))).toBe(true);
  });

  it('stops between members when asked to, leaving the rest to the next run', async () => {
    const members = [randomUUID(), randomUUID()];
    for (const memberId of members) await backdate((await activity(memberId, 3)).id);
    // The subgraph's timer asks a run to stop when the subgraph shuts down.
    expect(await runExpiry(db, { signal: AbortSignal.abort() })).toEqual({ members: 0, points: 0 });
    for (const memberId of members) expect(await balanceOf(db, memberId)).toBe(3);
    await runExpiry(db);
    for (const memberId of members) expect(await balanceOf(db, memberId)).toBe(0);
  });

  it('runs "as of" a later instant (end of the following year) for everything earned now', async () => {
    const memberId = randomUUID();
    const line = await activity(memberId, 12);
    const expiry = shanghaiYearStart(shanghaiYear(line.createdAt) + 2);
    await runExpiry(db, { dueBy: new Date(expiry.getTime() - 1000) });
    expect(await balanceOf(db, memberId)).toBe(12);
    const result = await runExpiry(db, { dueBy: expiry });
    expect(result.points).toBeGreaterThanOrEqual(12);
    expect(await balanceOf(db, memberId)).toBe(0);
  });
});

describe('Member.points', () => {
  it("answers the member, the member's union chain and PLATFORM; refuses other members and other unions", async () => {
    const facts = memberFacts();
    await activity(facts.id, 9);
    const read = (principal: Parameters<typeof contextFor>[1]) => new MemberPointsResolver().points({ id: facts.id }, contextFor(db, principal, [facts]));
    for (const allowed of [asMember(facts.id), districtUnion, platform]) expect((await read(allowed)).balance).toBe(9);
    for (const refused of [asMember(randomUUID()), siblingUnion]) expect(await codeOf(read(refused))).toBe('FORBIDDEN');
    expect(await codeOf(new MemberPointsResolver().points({ id: randomUUID() }, contextFor(db, platform, [])))).toBe('FORBIDDEN');
  });

  it('lists Member.rewardOrders to the same readers, page by page, and refuses everyone else', async () => {
    const facts = memberFacts();
    await activity(facts.id, 30);
    const rewardId = await newReward(10, 5);
    const placed = [await order(facts.id, rewardId), await order(facts.id, rewardId)];
    const list = (principal: Parameters<typeof contextFor>[1], after: string | null = null) =>
      new MemberPointsResolver().rewardOrders({ id: facts.id }, 1, after, contextFor(db, principal, [facts]));
    for (const allowed of [asMember(facts.id), districtUnion, platform]) {
      const first = await list(allowed);
      expect(first.pageInfo.hasNextPage).toBe(true);
      const second = await list(allowed, first.pageInfo.endCursor);
      expect(second.pageInfo.hasNextPage).toBe(false);
      expect([...first.nodes, ...second.nodes].map((o) => o.id).sort()).toEqual(placed.map((o) => o.id).sort());
    }
    for (const refused of [asMember(randomUUID()), siblingUnion]) expect(await codeOf(list(refused))).toBe('FORBIDDEN');
  });
});

describe('the database itself', () => {
  it('refuses a negative balance and edits of written lines', async () => {
    const memberId = randomUUID();
    await activity(memberId, 5);
    await expect(db.query(`UPDATE points_accounts SET balance = -1 WHERE member_id = $1`, [memberId])).rejects.toThrow(/check constraint/);
    await expect(db.query(`UPDATE points_transactions SET amount = 500 WHERE member_id = $1`, [memberId])).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM points_lot_movements`)).rejects.toThrow(/append-only/);
    await expect(db.query(`UPDATE points_lots SET remaining = amount + 1 WHERE member_id = $1`, [memberId])).rejects.toThrow(/check constraint/);
  });
});
