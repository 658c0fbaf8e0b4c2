import { contractError } from '@union/common';

/** Contract errors of claiming, granting, validating and redeeming vouchers. */
export const VoucherErrors = {
  soldOut: () => contractError('SOLD_OUT', 'no vouchers of this batch are left'),
  limitReached: (limit: number) => contractError('LIMIT_REACHED', `the member already holds the most vouchers of this batch allowed (${limit})`),
  claimNotOpen: (startsAt: Date, endsAt: Date) =>
    contractError('CLAIM_NOT_OPEN', `this batch can be claimed from ${startsAt.toISOString()} until ${endsAt.toISOString()}`),
  notEligible: (why: string) => contractError('NOT_ELIGIBLE', why),
  voucherNotFound: () => contractError('VOUCHER_NOT_FOUND', 'no voucher has this code'),
  voucherExpired: (why: string) => contractError('VOUCHER_EXPIRED', why),
  alreadyRedeemed: () => contractError('VOUCHER_ALREADY_REDEEMED', 'this voucher was already redeemed'),
  minSpendNotMet: (minSpendFen: number) =>
    contractError('MIN_SPEND_NOT_MET', `the order amount is below the minimum spend of ${minSpendFen} fen`, { minSpendFen }),
  partnerNotAllowed: () => contractError('PARTNER_NOT_ALLOWED', 'this voucher cannot be redeemed at your business'),
  idempotencyConflict: (what: string) => contractError('IDEMPOTENCY_CONFLICT', what),
};

/** The reasons validateVoucher answers with: exactly the codes redeemVoucher would raise. */
export type RedemptionRefusal =
  'VOUCHER_NOT_FOUND' | 'VOUCHER_EXPIRED' | 'VOUCHER_ALREADY_REDEEMED' | 'MIN_SPEND_NOT_MET' | 'PARTNER_NOT_ALLOWED' | 'NOT_ELIGIBLE';
