import type { EventAudience, MemberFacts } from '@union/common';
import type { BenefitContext } from './context';
import type { DiscountClaimEntity } from './modules/hospital/hospital.entity';
import type { RedemptionEntity } from './modules/redemption/redemption.entity';
import type { VoucherEntity } from './modules/voucher/voucher.entity';

/**
 * Who sees a benefit event besides PLATFORM: the partners named (the hospital of a claim, the
 * partners that may redeem a batch, the partner that redeemed), the unions on the member's chain
 * and the unions on the sponsoring organization's chain. Facts are read BEFORE the transaction
 * (one batched call to the member subgraph), so no remote call holds a row lock.
 */
export async function benefitAudience(
  ctx: BenefitContext,
  parts: { member?: MemberFacts | null; memberId?: string; programId: string; partnerIds?: readonly string[] },
): Promise<EventAudience> {
  const program = await ctx.loaders.programById.load(parts.programId);
  const [member, sponsor] = await Promise.all([
    parts.member !== undefined ? parts.member : parts.memberId ? ctx.directory.members.load(parts.memberId) : null,
    program ? ctx.directory.organizations.load(program.sponsorOrganizationId) : null,
  ]);
  return {
    partnerIds: parts.partnerIds ?? [],
    organizationIds: [...(member?.organizationChain ?? []), ...(sponsor?.chain ?? (program ? [program.sponsorOrganizationId] : []))],
  };
}

export const claimEventData = (claim: DiscountClaimEntity): Record<string, unknown> => ({
  claimId: claim.id,
  hospitalPartnerId: claim.hospitalPartnerId,
  invoiceNumber: claim.invoiceNumber,
  programId: claim.programId,
  memberId: claim.memberId,
  selfPaidFen: Number(claim.selfPaidFen),
  discountFen: Number(claim.discountFen),
  status: claim.status,
  ...(claim.voidReason ? { voidReason: claim.voidReason } : {}),
});

/** The voucher code is a bearer secret: events never carry it. */
export const voucherEventData = (voucher: VoucherEntity, programId: string): Record<string, unknown> => ({
  voucherId: voucher.id,
  batchId: voucher.batchId,
  programId,
  memberId: voucher.memberId,
  status: voucher.status,
  validFrom: voucher.validFrom.toISOString(),
  validTo: voucher.validTo.toISOString(),
});

export const redemptionEventData = (redemption: RedemptionEntity, memberId: string | null): Record<string, unknown> => ({
  redemptionId: redemption.id,
  voucherId: redemption.voucherId,
  batchId: redemption.batchId,
  programId: redemption.programId,
  partnerId: redemption.partnerId,
  partnerOrderId: redemption.partnerOrderId,
  memberId,
  orderAmountFen: redemption.orderAmountFen,
  discountFen: redemption.discountFen,
  status: redemption.status,
  ...(redemption.cancelReason ? { cancelReason: redemption.cancelReason } : {}),
});
