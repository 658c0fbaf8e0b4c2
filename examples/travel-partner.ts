/**
 * A travel partner's checkout (工会卡), with the typed client:
 *   1. the member claims a voucher in the member app (here the demo PLATFORM plays the app),
 *   2. the partner validates the code against the order amount, redeems it (idempotent per order),
 *   3. reconciles, then cancels the redemption as if the order were refunded.
 *
 *   npx tsc -p examples && node examples/dist/examples/travel-partner.js
 */
import { randomUUID } from 'node:crypto';
import { cancelRedemption, claimVoucher, redeemVoucher, redemptions, UnionApiClient, UnionApiError, validateVoucher } from '../clients/typescript/src';
import { type DemoCredentialsFile, partnerCredentials, readDemoCredentials, runMain } from './config';

/** The demo's 20-yuan ride voucher batch of the city union's travel card (UNION_VOUCHER_BATCH_ID to use another). */
const DEMO_RIDE_BATCH = 'c0000000-0000-4000-8000-000000000001';

export async function runTravelPartnerExample(demo: DemoCredentialsFile | null = readDemoCredentials(), log: (line: string) => void = console.log) {
  const travel = new UnionApiClient(partnerCredentials('travelPartner', demo));
  if (!demo) throw new Error('the demo member app needs .data/demo-credentials.json');
  const platform = new UnionApiClient(partnerCredentials('platform', demo));
  const batchId = process.env.UNION_VOUCHER_BATCH_ID ?? DEMO_RIDE_BATCH;

  // Each member may hold a few vouchers of a batch: the first member still below the limit claims one.
  let code: string | null = null;
  for (const member of demo.members) {
    try {
      // A key per claim: if the answer is lost, sending the claim again with it returns the same voucher.
      const { claimVoucher: voucher } = await claimVoucher(await platform.forMember(member.id), { batchId, idempotencyKey: randomUUID() });
      code = voucher.code;
      log(`member claimed "${voucher.batch.name}", code ${voucher.code}`);
      break;
    } catch (error) {
      if (error instanceof UnionApiError && error.code === 'LIMIT_REACHED') continue;
      throw error;
    }
  }
  if (!code) throw new Error('every demo member holds the most vouchers of this batch');

  const orderAmountFen = 5_600; // a 56-yuan ride
  const { validateVoucher: check } = await validateVoucher(travel, { code, orderAmountFen });
  if (!check.valid) throw new Error(`voucher not valid: ${check.reason}`);
  log(`valid: discount ${check.discountFen! / 100} yuan on ${orderAmountFen / 100} yuan`);

  const input = { code, partnerOrderId: `RIDE-${Date.now()}`, orderAmountFen };
  const { redeemVoucher: redemption } = await redeemVoucher(travel, { input });
  const { redeemVoucher: retried } = await redeemVoucher(travel, { input });
  log(`redeemed on order ${redemption.partnerOrderId}: ${redemption.status}; retry answered the same redemption: ${retried.id === redemption.id}`);

  const now = Date.now();
  const { redemptions: recent } = await redemptions(travel, { from: new Date(now - 24 * 3600_000).toISOString(), to: new Date(now + 60_000).toISOString() });
  log(`redemptions in the last 24 hours: ${recent.totalCount}`);

  const { cancelRedemption: cancelled } = await cancelRedemption(travel, { partnerOrderId: input.partnerOrderId, reason: 'demo: order refunded' });
  log(`order ${input.partnerOrderId} refunded: redemption ${cancelled.status}, voucher ${cancelled.voucher.status} again`);
  return {
    example: 'travel-partner',
    discountFen: redemption.discountFen,
    idempotentRetry: retried.id === redemption.id,
    redemptionsToday: recent.totalCount,
    cancelled: cancelled.status,
    voucherAfterCancel: cancelled.voucher.status,
  };
}

if (require.main === module) runMain(() => runTravelPartnerExample());
