import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { DataSource } from 'typeorm';
import { DEFAULT_EXPIRY_POLICY } from '../../subgraphs/points/src/config';
import { runExpiry } from '../../subgraphs/points/src/modules/points/points.expiry';
import { recordAward } from '../../subgraphs/points/src/modules/points/points.service';
import { cancelOrder, placeOrder } from '../../subgraphs/points/src/modules/reward/reward.service';
import { ledgerViolations, openPointsDatabase } from '../integration/points-fixtures';

/**
 * Random workloads of awards, spends, cancellations and expiry runs, some of them concurrent,
 * against the real database through the service functions. After every step: each balance equals
 * its ledger sum and its open lots, is never negative, and no reward has lost or gained stock.
 */

let db: DataSource;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ db, close } = await openPointsDatabase());
});
afterAll(() => close());

const YEAR_MS = 365.25 * 24 * 3600 * 1000;

type Op =
  | { kind: 'award'; member: number; rule: 'READ_ARTICLE' | 'DAILY_SIGN_IN' | 'REAL_NAME_VERIFIED' | 'ACTIVITY'; ref: number; amount: number }
  | { kind: 'order'; member: number; reward: number; quantity: number }
  | { kind: 'cancel'; order: number; byOwner: boolean }
  | { kind: 'age'; member: number }
  | { kind: 'expire'; yearsAhead: number };

const member = fc.integer({ min: 0, max: 2 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('award' as const),
      member,
      rule: fc.constantFrom('READ_ARTICLE', 'DAILY_SIGN_IN', 'REAL_NAME_VERIFIED', 'ACTIVITY' as const),
      ref: fc.integer({ min: 0, max: 6 }),
      amount: fc.integer({ min: 1, max: 120 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('order' as const), member, reward: fc.integer({ min: 0, max: 1 }), quantity: fc.integer({ min: 1, max: 3 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), order: fc.nat(), byOwner: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('age' as const), member }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const), yearsAhead: fc.integer({ min: 0, max: 3 }) }) },
);
/** Each step runs its operations concurrently. */
const workload = fc.array(fc.array(op, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 12 });

const EXPECTED_REFUSALS = new Set(['DAILY_CAP_REACHED', 'IDEMPOTENCY_CONFLICT', 'INSUFFICIENT_POINTS', 'OUT_OF_STOCK', 'BAD_USER_INPUT']);

it('keeps every balance equal to its ledger and never negative, over random sequences', async () => {
  await fc.assert(
    fc.asyncProperty(workload, async (steps) => {
      const members = [randomUUID(), randomUUID(), randomUUID()];
      const rewards = [
        { id: randomUUID(), cost: 7, stock: 6 },
        { id: randomUUID(), cost: 40, stock: 3 },
      ];
      for (const r of rewards) {
        await db.query(`INSERT INTO rewards (id, name, points_cost, stock) VALUES ($1, 'p', $2, $3)`, [r.id, r.cost, r.stock]);
      }
      const orders: Array<{ id: string; memberId: string }> = [];

      const run = async (o: Op): Promise<void> => {
        switch (o.kind) {
          case 'award': {
            const memberId = members[o.member];
            await recordAward(
              db,
              { memberId, rule: o.rule, sourceRef: `ref-${o.ref}`, amount: o.rule === 'ACTIVITY' ? o.amount : null },
              { actor: { kind: 'PLATFORM', id: 'property' }, policy: DEFAULT_EXPIRY_POLICY },
            );
            return;
          }
          case 'order': {
            const memberId = members[o.member];
            const placed = await placeOrder(
              db,
              { memberId, rewardId: rewards[o.reward].id, quantity: o.quantity },
              { actor: { kind: 'MEMBER', id: memberId } },
            );
            orders.push({ id: placed.id, memberId });
            return;
          }
          case 'cancel': {
            if (orders.length === 0) return;
            const target = orders[o.order % orders.length];
            await cancelOrder(db, { orderId: target.id, ownerId: o.byOwner ? target.memberId : undefined }, { actor: { kind: 'PLATFORM', id: 'property' } });
            return;
          }
          case 'age':
            // Test-only: the member's oldest open lot reaches its expiry date now.
            await db.query(
              `UPDATE points_lots SET earned_at = now() - interval '2 years', expires_at = now() - interval '1 millisecond'
                WHERE id = (SELECT id FROM points_lots WHERE member_id = $1 AND remaining > 0 ORDER BY expires_at, earned_at, id LIMIT 1)`,
              [members[o.member]],
            );
            return;
          case 'expire':
            await runExpiry(db, { dueBy: new Date(Date.now() + o.yearsAhead * YEAR_MS) });
            return;
        }
      };

      for (const step of steps) {
        const outcomes = await Promise.allSettled(step.map(run));
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') {
            const code = (outcome.reason as { extensions?: { code?: string } }).extensions?.code;
            if (!code || !EXPECTED_REFUSALS.has(code)) throw outcome.reason;
          }
        }
        const violations = await ledgerViolations(db, members);
        if (violations.length > 0) throw new Error(`ledger violated after ${JSON.stringify(step)}: ${JSON.stringify(violations)}`);
        for (const r of rewards) {
          const [{ stock, held }] = await db.query(
            `SELECT (SELECT stock FROM rewards WHERE id = $1) AS stock,
                    (SELECT coalesce(sum(quantity), 0)::int FROM reward_orders WHERE reward_id = $1 AND status = 'PLACED') AS held`,
            [r.id],
          );
          if (stock + held !== r.stock || stock < 0) throw new Error(`stock of reward not conserved: ${stock} left + ${held} ordered != ${r.stock}`);
        }
        const [{ negative }] = await db.query(`SELECT count(*)::int AS negative FROM points_accounts WHERE member_id = ANY($1) AND balance < 0`, [members]);
        if (negative > 0) throw new Error('negative balance');
      }
    }),
    { numRuns: Number(process.env.POINTS_PROPERTY_RUNS ?? 40) },
  );
  // The workloads did reach every kind of line (a property over trivial workloads proves nothing).
  const kinds: Array<{ kind: string; n: number }> = await db.query(`SELECT kind, count(*)::int AS n FROM points_transactions GROUP BY kind`);
  expect(Object.fromEntries(kinds.map((k) => [k.kind, k.n > 0]))).toEqual({ EARN: true, SPEND: true, REVERSAL: true, EXPIRE: true });
});
