import { DEMO_PARTNERS, DEMO_PROGRAMS } from '@union/common';

const DAY = 86_400_000;
const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

/**
 * A CreateVoucherBatchInput for the demo welfare program: movie tickets the demo merchant redeems,
 * open for claims since yesterday for 30 days, valid 60 days; `overrides` change any field.
 */
export function openVoucherBatchInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    programId: DEMO_PROGRAMS.welfare,
    name: '测试券',
    voucherKind: 'MOVIE',
    faceValueFen: 3000,
    minSpendFen: 0,
    totalQuantity: 10,
    perMemberLimit: 1,
    claimStartsAt: iso(-DAY),
    claimEndsAt: iso(30 * DAY),
    validFrom: iso(-DAY),
    validTo: iso(60 * DAY),
    redeemablePartnerIds: [DEMO_PARTNERS.merchant.id],
    ...overrides,
  };
}
