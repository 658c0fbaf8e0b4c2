import { DEMO_PARTNERS, DEMO_PROGRAMS } from '@union/common';
import { Client } from 'pg';
import { DEMO_VOUCHER_BATCHES } from '../../subgraphs/benefit/src/seed/voucher-seed';
import { errorCodes, gql, memberToken, partnerToken } from '../testkit/client';
import { startSystem, type RunningSystem } from '../testkit/system';

/**
 * Vouchers end to end, through the gateway with real partner and member tokens: a travel partner's
 * flow (validate -> redeem -> redeem again -> cancel -> reconcile), a member's claim flow, a
 * union's batch and grant, and every bad input with its contract code and nothing written.
 */
let system: RunningSystem;
let sql: Client;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  system = await startSystem();
  sql = new Client({ connectionString: system.databaseUrl });
  await sql.connect();
  for (const key of ['travelPartner', 'merchant', 'cityUnion', 'districtUnion', 'siblingDistrictUnion', 'hospital'] as const) {
    tokens[key] = await partnerToken(system, key);
  }
});
afterAll(async () => {
  await sql?.end();
  await system?.stop();
});

const CLAIM = `mutation ($batchId: ID!) { claimVoucher(batchId: $batchId) { id code status validFrom validTo batch { id name remainingQuantity } } }`;
const VALIDATE = `mutation ($code: String!, $amount: Int!) { validateVoucher(code: $code, orderAmountFen: $amount) { valid reason discountFen voucher { id status batch { voucherKind } } } }`;
const REDEEM = `mutation ($input: RedeemVoucherInput!) { redeemVoucher(input: $input) { id partnerOrderId orderAmountFen discountFen status createdAt cancelledAt voucher { id code status owner { id displayName } } } }`;
const CANCEL = `mutation ($order: String!, $reason: String!) { cancelRedemption(partnerOrderId: $order, reason: $reason) { id status cancelledAt voucher { status } } }`;
const RECONCILE = `query ($from: DateTime!, $to: DateTime!) { redemptions(from: $from, to: $to, first: 100) { totalCount totals { completedCount completedDiscountFen cancelledCount } nodes { id partnerOrderId status discountFen voucher { code batch { name } } } } }`;

const members = () => system.credentials.members;
let memberIndex = 0;
const nextMember = () => members()[memberIndex++ % 10];

/** benefit-schema snapshot: any write shows up here. */
const snapshot = async () =>
  (
    await sql.query(
      `SELECT (SELECT count(*) FROM benefit.vouchers) AS vouchers, (SELECT count(*) FROM benefit.redemptions) AS redemptions,
              (SELECT count(*) FROM benefit.voucher_batches) AS batches, (SELECT sum(claimed) FROM benefit.voucher_batch_stripes) AS claimed,
              (SELECT string_agg(status, '' ORDER BY id) FROM benefit.vouchers) AS statuses,
              (SELECT string_agg(status, '' ORDER BY id) FROM benefit.redemptions) AS redemption_statuses`,
    )
  ).rows[0];

async function claimAs(memberId: string, batchId: string) {
  const res = await gql(system, await memberToken(system, memberId), CLAIM, { batchId });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.claimVoucher as { id: string; code: string };
}

describe("a travel partner's flow", () => {
  it('validate -> redeem -> redeem again with the same order id -> cancel -> reconcile', async () => {
    const member = nextMember();
    const voucher = await claimAs(member.id, DEMO_VOUCHER_BATCHES.travelHotel);
    const partner = tokens.travelPartner;
    const orderId = `TC-${Date.now()}`;

    const validation = await gql(system, partner, VALIDATE, { code: voucher.code, amount: 68_800 });
    expect(validation.body.errors).toBeUndefined();
    expect(validation.body.data!.validateVoucher).toEqual({
      valid: true,
      reason: null,
      discountFen: 10_000,
      voucher: { id: voucher.id, status: 'ISSUED', batch: { voucherKind: 'HOTEL' } },
    });

    const redeemed = await gql(system, partner, REDEEM, { input: { code: voucher.code, partnerOrderId: orderId, orderAmountFen: 68_800 } });
    expect(redeemed.body.errors).toBeUndefined();
    const redemption = redeemed.body.data!.redeemVoucher;
    expect(redemption).toMatchObject({ partnerOrderId: orderId, orderAmountFen: 68_800, discountFen: 10_000, status: 'COMPLETED', cancelledAt: null });
    // the owner comes from the member subgraph, masked for a partner
    expect(redemption.voucher).toMatchObject({ id: voucher.id, code: voucher.code, status: 'REDEEMED', owner: { id: member.id } });
    expect(redemption.voucher.owner.displayName).toContain('*');

    const retried = await gql(system, partner, REDEEM, { input: { code: voucher.code, partnerOrderId: orderId, orderAmountFen: 68_800 } });
    expect(retried.body.data!.redeemVoucher.id).toBe(redemption.id);

    const cancelled = await gql(system, partner, CANCEL, { order: orderId, reason: '用户退订' });
    expect(cancelled.body.errors).toBeUndefined();
    expect(cancelled.body.data!.cancelRedemption).toMatchObject({ id: redemption.id, status: 'CANCELLED', voucher: { status: 'ISSUED' } });
    const cancelledAgain = await gql(system, partner, CANCEL, { order: orderId, reason: '用户退订' });
    expect(cancelledAgain.body.data!.cancelRedemption).toEqual(cancelled.body.data!.cancelRedemption);

    const range = { from: new Date(Date.now() - 3600_000).toISOString(), to: new Date(Date.now() + 3600_000).toISOString() };
    const report = await gql(system, partner, RECONCILE, range);
    expect(report.body.errors).toBeUndefined();
    const mine = report.body.data!.redemptions.nodes.find((n: { id: string }) => n.id === redemption.id);
    expect(mine).toMatchObject({ partnerOrderId: orderId, status: 'CANCELLED', voucher: { code: voucher.code, batch: { name: expect.any(String) } } });
    expect(report.body.data!.redemptions.totals.cancelledCount).toBeGreaterThanOrEqual(1);

    // the sponsoring union sees it (codes masked), a sibling district union does not
    const byCity = await gql(system, tokens.cityUnion, RECONCILE, range);
    const seenByCity = byCity.body.data!.redemptions.nodes.find((n: { id: string }) => n.id === redemption.id);
    expect(seenByCity.voucher.code).toMatch(/^\*{4}-\*{4}-\*{4}-/);
    const bySibling = await gql(system, tokens.siblingDistrictUnion, RECONCILE, range);
    expect(bySibling.body.data!.redemptions.totalCount).toBe(0);

    const month = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7);
    const statement = await gql(system, partner, `query ($m: String!) { redemptionStatement(month: $m) { cancelledCount csv } }`, { m: month });
    expect(statement.body.errors).toBeUndefined();
    expect(statement.body.data!.redemptionStatement.csv).toContain(orderId);
  });
});

describe("a member's claim flow", () => {
  it('reads the batch, claims, sees the voucher in its list, and hits its limit', async () => {
    const member = nextMember();
    const token = await memberToken(system, member.id);
    const batchId = DEMO_VOUCHER_BATCHES.welfareMovie;
    const before = await gql(
      system,
      token,
      `query ($id: ID!) { voucherBatch(id: $id) { name voucherKind totalQuantity remainingQuantity perMemberLimit program { id kind } } }`,
      { id: batchId },
    );
    expect(before.body.errors).toBeUndefined();
    expect(before.body.data!.voucherBatch).toMatchObject({
      voucherKind: 'MOVIE',
      totalQuantity: 5000,
      perMemberLimit: 2,
      program: { id: DEMO_PROGRAMS.welfare, kind: 'WELFARE_VOUCHER' },
    });
    const remaining = before.body.data!.voucherBatch.remainingQuantity;

    const first = await gql(system, token, CLAIM, { batchId });
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data!.claimVoucher).toMatchObject({ status: 'ISSUED', batch: { id: batchId, remainingQuantity: remaining - 1 } });
    expect(first.body.data!.claimVoucher.code).toMatch(/^[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}$/);
    expect(errorCodes(await gql(system, token, CLAIM, { batchId }))).toEqual([]);
    expect(errorCodes(await gql(system, token, CLAIM, { batchId }))).toEqual(['LIMIT_REACHED']);

    const list = await gql(system, token, `{ me { vouchers(status: ISSUED) { totalCount nodes { code batch { id } } } } }`);
    expect(list.body.errors).toBeUndefined();
    const codes = list.body.data!.me.vouchers.nodes.filter((n: { batch: { id: string } }) => n.batch.id === batchId).map((n: { code: string }) => n.code);
    expect(codes).toContain(first.body.data!.claimVoucher.code);
  });

  it('claims a verified-only ticket as a verified member; a member outside the sponsor subtree is NOT_ELIGIBLE', async () => {
    const member = nextMember();
    expect((await claimAs(member.id, DEMO_VOUCHER_BATCHES.welfareHealthCheck)).code).toBeTruthy();
    const outsider = (
      await sql.query(
        `SELECT m.id FROM member.members m JOIN member.organizations o ON o.id = $1
          WHERE m.org_path NOT LIKE o.path || '%' AND m.status = 'ACTIVE' LIMIT 1`,
        [system.credentials.partners.cityUnion.organizationId],
      )
    ).rows[0].id;
    const res = await gql(system, await memberToken(system, outsider), CLAIM, { batchId: DEMO_VOUCHER_BATCHES.welfareMeal });
    expect(errorCodes(res)).toEqual(['NOT_ELIGIBLE']);
  });
});

describe("a union's batch and grant", () => {
  const CREATE = `mutation ($input: CreateVoucherBatchInput!) { createVoucherBatch(input: $input) { id totalQuantity remainingQuantity } }`;
  const GRANT = `mutation ($batchId: ID!, $memberIds: [ID!]!) { grantVouchers(batchId: $batchId, memberIds: $memberIds) { granted { owner { id } } skipped { memberId reason } } }`;
  const input = (overrides: Record<string, unknown> = {}) => ({
    programId: DEMO_PROGRAMS.welfare,
    name: '劳动节游泳券',
    voucherKind: 'SWIMMING',
    faceValueFen: 3000,
    totalQuantity: 2,
    claimStartsAt: new Date(Date.now() - 60_000).toISOString(),
    claimEndsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    validFrom: new Date(Date.now() - 60_000).toISOString(),
    validTo: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    redeemablePartnerIds: [DEMO_PARTNERS.merchant.id],
    ...overrides,
  });

  it('creates a batch and grants what the pool allows to members of its subtree', async () => {
    const created = await gql(system, tokens.cityUnion, CREATE, { input: input() });
    expect(created.body.errors).toBeUndefined();
    const batchId = created.body.data!.createVoucherBatch.id;
    const ids = members()
      .slice(10, 13)
      .map((m) => m.id);
    const granted = await gql(system, tokens.cityUnion, GRANT, { batchId, memberIds: ids });
    expect(granted.body.errors).toBeUndefined();
    expect(granted.body.data!.grantVouchers.granted.map((v: { owner: { id: string } }) => v.owner.id)).toEqual(ids.slice(0, 2));
    expect(granted.body.data!.grantVouchers.skipped).toEqual([{ memberId: ids[2], reason: 'SOLD_OUT' }]);
  });
});

describe('bad input: the contract error, and nothing written', () => {
  let travelCode: string;
  let redeemedCode: string;
  let expiredCode: string;

  beforeAll(async () => {
    travelCode = (await claimAs(nextMember().id, DEMO_VOUCHER_BATCHES.travelHotel)).code;
    redeemedCode = (await claimAs(nextMember().id, DEMO_VOUCHER_BATCHES.travelRide)).code;
    const redeemed = await gql(system, tokens.travelPartner, REDEEM, {
      input: { code: redeemedCode, partnerOrderId: `USED-${Date.now()}`, orderAmountFen: 5000 },
    });
    expect(redeemed.body.errors).toBeUndefined();
    const expired = await claimAs(nextMember().id, DEMO_VOUCHER_BATCHES.travelRide);
    expiredCode = expired.code;
    await sql.query(`UPDATE benefit.vouchers SET valid_from = now() - interval '40 days', valid_to = now() - interval '1 minute' WHERE id = $1`, [expired.id]);
  });

  const typo = (code: string) => code.slice(0, -1) + (code.endsWith('Z') ? 'Y' : 'Z');

  it.each([
    ['a code that does not exist', () => ({ code: 'ABCD-EFGH-JKLM-NPQR', amount: 50_000, token: 'travelPartner' }), 'VOUCHER_NOT_FOUND'],
    ['a code with a typo', () => ({ code: typo(travelCode), amount: 50_000, token: 'travelPartner' }), 'VOUCHER_NOT_FOUND'],
    ['a batch the partner may not redeem', () => ({ code: travelCode, amount: 50_000, token: 'merchant' }), 'PARTNER_NOT_ALLOWED'],
    ['an expired voucher', () => ({ code: expiredCode, amount: 50_000, token: 'travelPartner' }), 'VOUCHER_EXPIRED'],
    ['an already redeemed voucher', () => ({ code: redeemedCode, amount: 50_000, token: 'travelPartner' }), 'VOUCHER_ALREADY_REDEEMED'],
    ['an order below the minimum spend', () => ({ code: travelCode, amount: 29_999, token: 'travelPartner' }), 'MIN_SPEND_NOT_MET'],
    ['a negative amount', () => ({ code: travelCode, amount: -1, token: 'travelPartner' }), 'BAD_USER_INPUT'],
    ['a hospital (no voucher:redeem scope)', () => ({ code: travelCode, amount: 50_000, token: 'hospital' }), 'FORBIDDEN'],
  ])('redeemVoucher refuses %s', async (_, make, code) => {
    const { code: voucherCode, amount, token } = make();
    const before = await snapshot();
    const res = await gql(system, tokens[token], REDEEM, { input: { code: voucherCode, partnerOrderId: `BAD-${Date.now()}`, orderAmountFen: amount } });
    expect(errorCodes(res)).toEqual([code]);
    expect(JSON.stringify(res.body)).not.toMatch(/stacktrace|at .*\.js:\d+/);
    expect(await snapshot()).toEqual(before);
  });

  it('a partnerOrderId re-used with another code or amount is IDEMPOTENCY_CONFLICT', async () => {
    const orderId = `DUP-${Date.now()}`;
    const other = (await claimAs(nextMember().id, DEMO_VOUCHER_BATCHES.travelHotel)).code;
    expect(
      errorCodes(await gql(system, tokens.travelPartner, REDEEM, { input: { code: travelCode, partnerOrderId: orderId, orderAmountFen: 50_000 } })),
    ).toEqual([]);
    const before = await snapshot();
    expect(
      errorCodes(await gql(system, tokens.travelPartner, REDEEM, { input: { code: travelCode, partnerOrderId: orderId, orderAmountFen: 50_001 } })),
    ).toEqual(['IDEMPOTENCY_CONFLICT']);
    expect(errorCodes(await gql(system, tokens.travelPartner, REDEEM, { input: { code: other, partnerOrderId: orderId, orderAmountFen: 50_000 } }))).toEqual([
      'IDEMPOTENCY_CONFLICT',
    ]);
    // cancelling another partner's redemption: that order does not exist for the merchant
    expect(errorCodes(await gql(system, tokens.merchant, CANCEL, { order: orderId, reason: 'not mine' }))).toEqual(['NOT_FOUND']);
    expect(await snapshot()).toEqual(before);
  });

  it('granting to a member outside the union subtree is FORBIDDEN', async () => {
    const before = await snapshot();
    const sibling = members().find((m) => m.organizationId !== members()[0].organizationId && members().indexOf(m) >= 10)!;
    const res = await gql(system, tokens.districtUnion, `mutation ($b: ID!, $m: [ID!]!) { grantVouchers(batchId: $b, memberIds: $m) { granted { id } } }`, {
      b: DEMO_VOUCHER_BATCHES.welfareMeal,
      m: [members()[0].id, sibling.id],
    });
    expect(errorCodes(res)).toEqual(['FORBIDDEN']);
    expect(await snapshot()).toEqual(before);
  });

  it.each([
    ['a negative quantity', { totalQuantity: -10 }],
    ['an end before its start', { claimStartsAt: new Date(Date.now() + 86_400_000).toISOString(), claimEndsAt: new Date().toISOString() }],
  ])('createVoucherBatch refuses %s with BAD_USER_INPUT', async (_, overrides) => {
    const before = await snapshot();
    const res = await gql(system, tokens.cityUnion, `mutation ($input: CreateVoucherBatchInput!) { createVoucherBatch(input: $input) { id } }`, {
      input: {
        programId: DEMO_PROGRAMS.travelCard,
        name: 'x',
        voucherKind: 'RIDE',
        faceValueFen: 1000,
        totalQuantity: 10,
        claimStartsAt: new Date(Date.now() - 60_000).toISOString(),
        claimEndsAt: new Date(Date.now() + 86_400_000).toISOString(),
        validFrom: new Date(Date.now() - 60_000).toISOString(),
        validTo: new Date(Date.now() + 2 * 86_400_000).toISOString(),
        redeemablePartnerIds: [DEMO_PARTNERS.travelPartner.id],
        ...overrides,
      },
    });
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(await snapshot()).toEqual(before);
  });

  it('a validation of an unknown code is an answer, not an error, and writes nothing but the refusal counter', async () => {
    const before = await snapshot();
    const res = await gql(system, tokens.merchant, VALIDATE, { code: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ', amount: 100 });
    expect(res.body.data!.validateVoucher).toEqual({ valid: false, reason: 'VOUCHER_NOT_FOUND', discountFen: null, voucher: null });
    expect(await snapshot()).toEqual(before);
  });
});
