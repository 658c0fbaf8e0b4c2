import { csvCell, DEMO_PARTNERS } from '@union/common';
import { DEMO_VOUCHER_BATCHES } from '../../subgraphs/benefit/src/seed/voucher-seed';
import { shanghaiMonth } from '../../subgraphs/benefit/src/statements';
import { codesOf, startVoucherHarness, type VoucherHarness } from './voucher-harness';

let h: VoucherHarness;
beforeAll(async () => {
  h = await startVoucherHarness();
});
afterAll(() => h?.stop());

const CLAIM = `mutation ($batchId: ID!) { claimVoucher(batchId: $batchId) { id code } }`;
const VALIDATE = `mutation ($code: String!, $amount: Int!) { validateVoucher(code: $code, orderAmountFen: $amount) { valid reason discountFen voucher { id code status } } }`;
const REDEEM = `mutation ($input: RedeemVoucherInput!) { redeemVoucher(input: $input) { id partnerOrderId orderAmountFen discountFen status createdAt cancelledAt voucher { id code status redemption { id } } } }`;
const CANCEL = `mutation ($order: String!, $reason: String!) { cancelRedemption(partnerOrderId: $order, reason: $reason) { id status cancelledAt cancelReason voucher { status } } }`;

let memberCursor = 0;
/** A fresh voucher of a batch, claimed by a fresh district member. */
async function claimed(batchId: string = DEMO_VOUCHER_BATCHES.travelHotel): Promise<{ id: string; code: string; memberId: string }> {
  const members = await h.activeCityMembers(150);
  // Demo batches allow each member 2 hotel or movie vouchers.
  const memberId = members[Math.floor(memberCursor++ / 2)];
  const res = await h.gql(h.member(memberId), CLAIM, { batchId });
  expect(res.errors).toBeUndefined();
  return { ...res.data!.claimVoucher, memberId };
}

const snapshot = async () =>
  (await h.sql.query(`SELECT (SELECT count(*) FROM redemptions) AS r, (SELECT string_agg(id || status, ',' ORDER BY id) FROM vouchers) AS v`)).rows[0];

let orderNo = 0;
const order = () => `ORDER-${Date.now()}-${orderNo++}`;

describe('validateVoucher', () => {
  it('tells the discount min(face value, amount) and writes nothing', async () => {
    const voucher = await claimed();
    const before = await snapshot();
    const res = await h.gql(h.principals.travelPartner, VALIDATE, { code: voucher.code, amount: 35_000 });
    expect(res.data!.validateVoucher).toEqual({
      valid: true,
      reason: null,
      discountFen: 10_000,
      voucher: { id: voucher.id, code: voucher.code, status: 'ISSUED' },
    });
    expect(await snapshot()).toEqual(before);
  });

  it.each([
    ['an unknown code', async () => ({ code: 'ABCD-EFGH-JKLM-NPQR', amount: 40_000, principal: 'travelPartner' }), 'VOUCHER_NOT_FOUND'],
    ['a code with a typo', async () => ({ code: typo((await claimed()).code), amount: 40_000, principal: 'travelPartner' }), 'VOUCHER_NOT_FOUND'],
    ['a code with a 0 or an O', async () => ({ code: 'ABCD-EFGH-JKLM-NPQ0', amount: 40_000, principal: 'travelPartner' }), 'VOUCHER_NOT_FOUND'],
    [
      'a code of a batch the partner may not redeem',
      async () => ({ code: (await claimed()).code, amount: 40_000, principal: 'merchant' }),
      'PARTNER_NOT_ALLOWED',
    ],
    ['an order below the minimum spend', async () => ({ code: (await claimed()).code, amount: 29_999, principal: 'travelPartner' }), 'MIN_SPEND_NOT_MET'],
  ] as const)('answers %s as not valid, with the redeem error code as reason', async (_, make, reason) => {
    const { code, amount, principal } = await make();
    const before = await snapshot();
    const res = await h.gql(h.principals[principal as keyof VoucherHarness['principals']], VALIDATE, { code, amount });
    expect(res.data!.validateVoucher).toMatchObject({ valid: false, reason, discountFen: null });
    expect(await snapshot()).toEqual(before);
  });

  it('accepts the code in lower case with spaces instead of dashes', async () => {
    const voucher = await claimed();
    const sloppy = ` ${voucher.code.toLowerCase().replace(/-/g, ' ')} `;
    const res = await h.gql(h.principals.travelPartner, VALIDATE, { code: sloppy, amount: 40_000 });
    expect(res.data!.validateVoucher.valid).toBe(true);
  });

  it('refuses a zero or negative amount as BAD_USER_INPUT, and callers without voucher:redeem', async () => {
    const voucher = await claimed();
    expect(codesOf(await h.gql(h.principals.travelPartner, VALIDATE, { code: voucher.code, amount: 0 }))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await h.gql(h.principals.travelPartner, VALIDATE, { code: voucher.code, amount: -100 }))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await h.gql(h.principals.city, VALIDATE, { code: voucher.code, amount: 100 }))).toEqual(['FORBIDDEN']);
    expect(codesOf(await h.gql(h.member(voucher.memberId), VALIDATE, { code: voucher.code, amount: 100 }))).toEqual(['FORBIDDEN']);
  });
});

function typo(code: string): string {
  const last = code[code.length - 1];
  return code.slice(0, -1) + (last === 'Z' ? 'Y' : 'Z');
}

describe('redeemVoucher', () => {
  it('redeems once; the same order again returns the original; another order gets VOUCHER_ALREADY_REDEEMED', async () => {
    const voucher = await claimed();
    const orderId = order();
    const first = await h.gql(h.principals.travelPartner, REDEEM, { input: { code: voucher.code, partnerOrderId: orderId, orderAmountFen: 50_000 } });
    expect(first.errors).toBeUndefined();
    const redemption = first.data!.redeemVoucher;
    expect(redemption).toMatchObject({ partnerOrderId: orderId, orderAmountFen: 50_000, discountFen: 10_000, status: 'COMPLETED', cancelledAt: null });
    expect(redemption.voucher).toEqual({ id: voucher.id, code: voucher.code, status: 'REDEEMED', redemption: { id: redemption.id } });

    const again = await h.gql(h.principals.travelPartner, REDEEM, {
      input: { code: voucher.code.toLowerCase(), partnerOrderId: orderId, orderAmountFen: 50_000 },
    });
    expect(again.data!.redeemVoucher.id).toBe(redemption.id);

    const other = await h.gql(h.principals.travelPartner, REDEEM, { input: { code: voucher.code, partnerOrderId: order(), orderAmountFen: 50_000 } });
    expect(codesOf(other)).toEqual(['VOUCHER_ALREADY_REDEEMED']);
  });

  it('answers IDEMPOTENCY_CONFLICT for a re-used order id with another amount or code, and writes nothing', async () => {
    const [a, b] = [await claimed(), await claimed()];
    const orderId = order();
    await h.gql(h.principals.travelPartner, REDEEM, { input: { code: a.code, partnerOrderId: orderId, orderAmountFen: 40_000 } });
    const before = await snapshot();
    const amount = await h.gql(h.principals.travelPartner, REDEEM, { input: { code: a.code, partnerOrderId: orderId, orderAmountFen: 40_001 } });
    expect(codesOf(amount)).toEqual(['IDEMPOTENCY_CONFLICT']);
    const code = await h.gql(h.principals.travelPartner, REDEEM, { input: { code: b.code, partnerOrderId: orderId, orderAmountFen: 40_000 } });
    expect(codesOf(code)).toEqual(['IDEMPOTENCY_CONFLICT']);
    expect(await snapshot()).toEqual(before);
  });

  it('caps the discount at the order amount', async () => {
    const voucher = await claimed(DEMO_VOUCHER_BATCHES.welfareMovie);
    const res = await h.gql(h.principals.merchant, REDEEM, { input: { code: voucher.code, partnerOrderId: order(), orderAmountFen: 2_500 } });
    expect(res.data!.redeemVoucher).toMatchObject({ orderAmountFen: 2_500, discountFen: 2_500 });
  });

  it.each([
    ['an unknown code', async () => ({ code: 'ABCD-EFGH-JKLM-NPQR', amount: 40_000, principal: 'travelPartner' }), 'VOUCHER_NOT_FOUND'],
    ['a code with a typo', async () => ({ code: typo((await claimed()).code), amount: 40_000, principal: 'travelPartner' }), 'VOUCHER_NOT_FOUND'],
    ['garbage', async () => ({ code: "'; DROP TABLE vouchers; --", amount: 40_000, principal: 'travelPartner' }), 'VOUCHER_NOT_FOUND'],
    ["another partner's batch", async () => ({ code: (await claimed()).code, amount: 40_000, principal: 'merchant' }), 'PARTNER_NOT_ALLOWED'],
    ['an order below the minimum spend', async () => ({ code: (await claimed()).code, amount: 100, principal: 'travelPartner' }), 'MIN_SPEND_NOT_MET'],
    [
      'an expired voucher',
      async () => {
        const v = await claimed();
        await h.sql.query(`UPDATE vouchers SET valid_from = now() - interval '10 days', valid_to = now() - interval '1 second' WHERE id = $1`, [v.id]);
        return { code: v.code, amount: 40_000, principal: 'travelPartner' };
      },
      'VOUCHER_EXPIRED',
    ],
    [
      'a voucher not valid yet',
      async () => {
        const v = await claimed();
        await h.sql.query(`UPDATE vouchers SET valid_from = now() + interval '1 day' WHERE id = $1`, [v.id]);
        return { code: v.code, amount: 40_000, principal: 'travelPartner' };
      },
      'VOUCHER_EXPIRED',
    ],
    ['a zero amount', async () => ({ code: (await claimed()).code, amount: 0, principal: 'travelPartner' }), 'BAD_USER_INPUT'],
  ] as const)('refuses %s with its contract error and writes nothing', async (_, make, errorCode) => {
    const { code, amount, principal } = await make();
    const before = await snapshot();
    const res = await h.gql(h.principals[principal as keyof VoucherHarness['principals']], REDEEM, {
      input: { code, partnerOrderId: order(), orderAmountFen: amount },
    });
    expect(codesOf(res)).toEqual([errorCode]);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses an empty or over-long partnerOrderId', async () => {
    const voucher = await claimed();
    for (const partnerOrderId of ['', 'x'.repeat(129), 'a\nb']) {
      const res = await h.gql(h.principals.travelPartner, REDEEM, { input: { code: voucher.code, partnerOrderId, orderAmountFen: 40_000 } });
      expect(codesOf(res)).toEqual(['BAD_USER_INPUT']);
    }
  });

  it('reads an ISSUED voucher past validTo as EXPIRED in the member list', async () => {
    const v = await claimed();
    await h.sql.query(`UPDATE vouchers SET valid_from = now() - interval '10 days', valid_to = now() - interval '1 second' WHERE id = $1`, [v.id]);
    const query = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Member { expired: vouchers(status: EXPIRED) { nodes { id status } } issued: vouchers(status: ISSUED) { nodes { id } } } } }`;
    const res = await h.gql(h.member(v.memberId), query, { r: [{ __typename: 'Member', id: v.memberId }] });
    expect(res.data!._entities[0].expired.nodes).toEqual([{ id: v.id, status: 'EXPIRED' }]);
    expect(res.data!._entities[0].issued.nodes.map((n: { id: string }) => n.id)).not.toContain(v.id);
  });

  it('redeems a code exactly once when 20 orders race for it', async () => {
    const voucher = await claimed();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        h.gql(h.principals.travelPartner, REDEEM, { input: { code: voucher.code, partnerOrderId: order(), orderAmountFen: 40_000 } }),
      ),
    );
    expect(answers.filter((a) => !a.errors)).toHaveLength(1);
    for (const a of answers.filter((x) => x.errors)) expect(codesOf(a)).toEqual(['VOUCHER_ALREADY_REDEEMED']);
    const rows = await h.sql.query(`SELECT status, count(*)::int AS n FROM redemptions WHERE voucher_id = $1 GROUP BY status`, [voucher.id]);
    expect(rows.rows).toEqual([{ status: 'COMPLETED', n: 1 }]);
  });

  it('answers every retry of one order with the same redemption when 10 retries race', async () => {
    const voucher = await claimed();
    const orderId = order();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        h.gql(h.principals.travelPartner, REDEEM, { input: { code: voucher.code, partnerOrderId: orderId, orderAmountFen: 40_000 } }),
      ),
    );
    expect(answers.map((a) => codesOf(a))).toEqual(answers.map(() => []));
    expect(new Set(answers.map((a) => a.data!.redeemVoucher.id)).size).toBe(1);
  });

  it('lets one order id win over two codes racing for it, the other gets IDEMPOTENCY_CONFLICT', async () => {
    const [a, b] = [await claimed(), await claimed()];
    const orderId = order();
    const answers = await Promise.all(
      [a, b].map((v) => h.gql(h.principals.travelPartner, REDEEM, { input: { code: v.code, partnerOrderId: orderId, orderAmountFen: 40_000 } })),
    );
    expect(answers.map((x) => codesOf(x)[0] ?? 'OK').sort()).toEqual(['IDEMPOTENCY_CONFLICT', 'OK']);
    const statuses = (await h.sql.query(`SELECT status FROM vouchers WHERE id = ANY($1::uuid[]) ORDER BY status`, [[a.id, b.id]])).rows.map((r) => r.status);
    expect(statuses).toEqual(['ISSUED', 'REDEEMED']);
  });

  it('counts refused attempts per partner for the rate limiter', async () => {
    const before = Number(
      (await h.sql.query(`SELECT coalesce(sum(failures), 0) AS n FROM redemption_failures WHERE partner_id = $1`, [DEMO_PARTNERS.merchant.id])).rows[0].n,
    );
    for (let i = 0; i < 3; i++)
      await h.gql(h.principals.merchant, REDEEM, { input: { code: `ZZZZ-ZZZZ-ZZZZ-ZZ${i + 2}Z`, partnerOrderId: order(), orderAmountFen: 100 } });
    await h.gql(h.principals.merchant, VALIDATE, { code: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ', amount: 100 });
    const after = (
      await h.sql.query(`SELECT reason, sum(failures)::int AS n FROM redemption_failures WHERE partner_id = $1 GROUP BY reason`, [DEMO_PARTNERS.merchant.id])
    ).rows;
    expect(after.reduce((sum, r) => sum + r.n, 0) - before).toBe(4);
    expect(after.map((r) => r.reason)).toContain('VOUCHER_NOT_FOUND');
  });
});

describe('cancelRedemption', () => {
  it('cancels, gives the voucher back, and is idempotent', async () => {
    const voucher = await claimed();
    const orderId = order();
    await h.gql(h.principals.travelPartner, REDEEM, { input: { code: voucher.code, partnerOrderId: orderId, orderAmountFen: 40_000 } });
    const res = await h.gql(h.principals.travelPartner, CANCEL, { order: orderId, reason: 'order refunded' });
    expect(res.errors).toBeUndefined();
    expect(res.data!.cancelRedemption).toMatchObject({ status: 'CANCELLED', cancelReason: 'order refunded', voucher: { status: 'ISSUED' } });
    const again = await h.gql(h.principals.travelPartner, CANCEL, { order: orderId, reason: 'again' });
    expect(again.data!.cancelRedemption).toEqual(res.data!.cancelRedemption);
    // the voucher can be redeemed on another order; the cancelled order id stays taken
    const reuse = await h.gql(h.principals.travelPartner, REDEEM, { input: { code: voucher.code, partnerOrderId: order(), orderAmountFen: 40_000 } });
    expect(reuse.errors).toBeUndefined();
    const replay = await h.gql(h.principals.travelPartner, REDEEM, { input: { code: voucher.code, partnerOrderId: orderId, orderAmountFen: 40_000 } });
    expect(replay.data!.redeemVoucher).toMatchObject({ status: 'CANCELLED' });
  });

  it('leaves a voucher past validTo EXPIRED', async () => {
    const voucher = await claimed();
    const orderId = order();
    await h.gql(h.principals.travelPartner, REDEEM, { input: { code: voucher.code, partnerOrderId: orderId, orderAmountFen: 40_000 } });
    await h.sql.query(`UPDATE vouchers SET valid_from = now() - interval '10 days', valid_to = now() - interval '1 second' WHERE id = $1`, [voucher.id]);
    const res = await h.gql(h.principals.travelPartner, CANCEL, { order: orderId, reason: 'refund' });
    expect(res.data!.cancelRedemption.voucher.status).toBe('EXPIRED');
    expect((await h.sql.query(`SELECT status FROM vouchers WHERE id = $1`, [voucher.id])).rows[0].status).toBe('EXPIRED');
  });

  it("answers NOT_FOUND for another partner's order and for unknown orders, and writes nothing", async () => {
    const voucher = await claimed();
    const orderId = order();
    await h.gql(h.principals.travelPartner, REDEEM, { input: { code: voucher.code, partnerOrderId: orderId, orderAmountFen: 40_000 } });
    const before = await snapshot();
    expect(codesOf(await h.gql(h.principals.merchant, CANCEL, { order: orderId, reason: 'mine now' }))).toEqual(['NOT_FOUND']);
    expect(codesOf(await h.gql(h.principals.travelPartner, CANCEL, { order: 'never-sent', reason: 'x' }))).toEqual(['NOT_FOUND']);
    expect(codesOf(await h.gql(h.principals.travelPartner, CANCEL, { order: orderId, reason: '  ' }))).toEqual(['BAD_USER_INPUT']);
    expect(await snapshot()).toEqual(before);
  });
});

describe('redemptions and statements', () => {
  const LIST = `query ($from: DateTime!, $to: DateTime!, $first: Int, $after: String) {
    redemptions(from: $from, to: $to, first: $first, after: $after) { nodes { id partnerOrderId discountFen status } pageInfo { hasNextPage endCursor } totalCount totals { completedCount completedDiscountFen completedOrderAmountFen cancelledCount } }
  }`;
  const range = () => ({ from: new Date(Date.now() - 3600_000).toISOString(), to: new Date(Date.now() + 3600_000).toISOString() });

  it('shows a partner its own redemptions, with totals, page by page', async () => {
    const window = range();
    const first = await h.gql(h.principals.travelPartner, LIST, { ...window, first: 2 });
    expect(first.errors).toBeUndefined();
    const all = (await h.sql.query(`SELECT status, discount_fen, order_amount_fen FROM redemptions WHERE partner_id = $1`, [DEMO_PARTNERS.travelPartner.id]))
      .rows;
    const completed = all.filter((r) => r.status === 'COMPLETED');
    expect(first.data!.redemptions.totalCount).toBe(all.length);
    expect(first.data!.redemptions.totals).toEqual({
      completedCount: completed.length,
      completedDiscountFen: completed.reduce((s, r) => s + r.discount_fen, 0),
      completedOrderAmountFen: completed.reduce((s, r) => s + r.order_amount_fen, 0),
      cancelledCount: all.length - completed.length,
    });
    const seen = [...first.data!.redemptions.nodes];
    let page = first.data!.redemptions;
    while (page.pageInfo.hasNextPage) {
      page = (await h.gql(h.principals.travelPartner, LIST, { ...window, first: 2, after: page.pageInfo.endCursor })).data!.redemptions;
      seen.push(...page.nodes);
    }
    // Every redemption exactly once: the keyset position must be exact to the microsecond, or the
    // last row of a page comes back at the top of the next.
    expect(seen.map((n) => n.id)).toHaveLength(all.length);
    expect(new Set(seen.map((n) => n.id)).size).toBe(all.length);
  });

  it('shows the sponsoring union all partners, a sibling union nothing, and refuses bad ranges and cursors', async () => {
    const city = await h.gql(h.principals.city, LIST, range());
    const total = Number((await h.sql.query(`SELECT count(*) AS n FROM redemptions`)).rows[0].n);
    expect(city.data!.redemptions.totalCount).toBe(total);
    const sibling = await h.gql(h.principals.sibling, LIST, range());
    expect(sibling.data!.redemptions.totalCount).toBe(0);
    const { from, to } = range();
    expect(codesOf(await h.gql(h.principals.city, LIST, { from: to, to: from }))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await h.gql(h.principals.city, LIST, { from, to, first: 101 }))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await h.gql(h.principals.city, LIST, { from, to, after: 'forged.cursor' }))).toEqual(['BAD_USER_INPUT']);
  });

  it('writes a CSV statement per partner and month', async () => {
    const month = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7);
    const STATEMENT = `query ($month: String!, $partnerId: ID) { redemptionStatement(month: $month, partnerId: $partnerId) { month partnerId completedCount completedDiscountFen cancelledCount csv } }`;
    const own = await h.gql(h.principals.travelPartner, STATEMENT, { month });
    expect(own.errors).toBeUndefined();
    const statement = own.data!.redemptionStatement;
    expect(statement.csv.startsWith('\uFEFF')).toBe(true); // Excel on a Chinese-locale Windows reads UTF-8 only with a BOM
    const lines = statement.csv.slice(1).trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'redemption_id,redeemed_at,partner_order_id,voucher_code,batch_id,batch_name,voucher_kind,order_amount_fen,discount_fen,status,cancelled_at',
    );
    expect(lines).toHaveLength(1 + statement.completedCount + statement.cancelledCount);
    expect(lines[1]).toMatch(/^[0-9a-f-]{36},\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00,ORDER-/);
    expect(lines[1]).toContain('****-****-****-');
    const byUnion = await h.gql(h.principals.city, STATEMENT, { month, partnerId: DEMO_PARTNERS.travelPartner.id });
    expect(byUnion.data!.redemptionStatement.csv).toBe(statement.csv);
    expect(codesOf(await h.gql(h.principals.merchant, STATEMENT, { month, partnerId: DEMO_PARTNERS.travelPartner.id }))).toEqual(['FORBIDDEN']);
    expect(codesOf(await h.gql(h.principals.city, STATEMENT, { month }))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await h.gql(h.principals.travelPartner, STATEMENT, { month: '2026-13' }))).toEqual(['BAD_USER_INPUT']);
  });

  it('sends as many statements for a page of 8 redemptions with their vouchers as for a page of 2 (no N+1)', async () => {
    const NESTED = `query ($from: DateTime!, $to: DateTime!, $first: Int) {
      redemptions(from: $from, to: $to, first: $first) {
        nodes { id voucher { id code status validTo batch { id name remainingQuantity redeemablePartnerIds program { id name } } owner { id } redemption { id } } }
        totalCount totals { completedCount }
      }
    }`;
    const window = range();
    const statementsFor = async (first: number) => {
      const before = await h.statementCount();
      const res = await h.gql(h.principals.travelPartner, NESTED, { ...window, first });
      expect(res.errors).toBeUndefined();
      expect(res.data!.redemptions.nodes).toHaveLength(first);
      return (await h.statementCount()) - before;
    };
    await statementsFor(2); // warm-up: a pool's first statements on a connection are not the request's
    expect(await statementsFor(8)).toBe(await statementsFor(2));
  });

  it("sends as many statements for 8 members' vouchers with their batches and redemptions as for 2 (no N+1)", async () => {
    const members = await h.activeCityMembers(75);
    const NESTED = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Member {
      vouchers(first: 5) { totalCount nodes { id code status batch { id name program { id } } owner { id } redemption { id partnerOrderId } } }
    } } }`;
    const statementsFor = async (ids: string[]) => {
      const before = await h.statementCount();
      const res = await h.gql(h.principals.city, NESTED, { r: ids.map((id) => ({ __typename: 'Member', id })) });
      expect(res.errors).toBeUndefined();
      return (await h.statementCount()) - before;
    };
    await statementsFor(members.slice(0, 2));
    expect(await statementsFor(members.slice(0, 8))).toBe(await statementsFor(members.slice(8, 10)));
  });

  it('refuses sums past the largest GraphQL Int with BAD_USER_INPUT, and still hands out the CSV', async () => {
    // Two 20-million-yuan orders in March 2001, away from the other tests' redemptions.
    const [a, b] = [await claimed(), await claimed()];
    for (const voucher of [a, b]) {
      await h.sql.query(
        `INSERT INTO redemptions (id, voucher_id, batch_id, program_id, partner_id, partner_order_id, order_amount_fen, discount_fen, status, created_at)
         SELECT gen_random_uuid(), v.id, v.batch_id, b.program_id, $2, 'BIG-' || v.id, 2000000000, 2000000000, 'COMPLETED', '2001-03-10T12:00:00+08:00'
           FROM vouchers v JOIN voucher_batches b ON b.id = v.batch_id WHERE v.id = $1`,
        [voucher.id, DEMO_PARTNERS.travelPartner.id],
      );
    }
    const march = { from: '2001-03-01T00:00:00+08:00', to: '2001-04-01T00:00:00+08:00' };
    const list = await h.gql(h.principals.travelPartner, LIST, march);
    expect(codesOf(list)).toEqual(['BAD_USER_INPUT']);
    const STATEMENT = `query ($month: String!, $sum: Boolean!) { redemptionStatement(month: $month) { completedCount completedDiscountFen @include(if: $sum) csv } }`;
    expect(codesOf(await h.gql(h.principals.travelPartner, STATEMENT, { month: '2001-03', sum: true }))).toEqual(['BAD_USER_INPUT']);
    const csvOnly = await h.gql(h.principals.travelPartner, STATEMENT, { month: '2001-03', sum: false });
    expect(csvOnly.errors).toBeUndefined();
    expect(csvOnly.data!.redemptionStatement.completedCount).toBe(2);
    expect(csvOnly.data!.redemptionStatement.csv.trimEnd().split('\r\n')).toHaveLength(3);
  });

  it('quotes CSV cells and defuses spreadsheet formulas; months are Asia/Shanghai', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell(-5)).toBe('-5');
    expect(shanghaiMonth('2026-03')).toEqual({ start: new Date('2026-02-28T16:00:00Z'), end: new Date('2026-03-31T16:00:00Z') });
    expect(shanghaiMonth('2026-12').end).toEqual(new Date('2026-12-31T16:00:00Z'));
  });
});
