import { buildFederatedSchema, type FederatedSchema } from '@union/common';
import { resolveMemberReference } from './modules/member/member.reference';
import { MemberBenefitsResolver, VoucherConnectionResolver } from './modules/member/member.resolver';
import { MemberBenefits } from './modules/member/member.types';
import { resolveProgramReference } from './modules/program/program.reference';
import { ProgramResolver } from './modules/program/program.resolver';
import { resolveDiscountClaimReference } from './modules/hospital/hospital.reference';
import { DiscountClaimConnectionResolver, DiscountClaimResolver, HospitalPolicyResolver, HospitalProgramResolver } from './modules/hospital/hospital.resolver';
import { VoucherResolver } from './modules/voucher/voucher.resolver';
import { resolveVoucherReference } from './modules/voucher/voucher.reference';
import { BatchResolver } from './modules/batch/batch.resolver';
import { resolveBatchReference } from './modules/batch/batch.reference';
import { RedemptionConnectionResolver, RedemptionResolver } from './modules/redemption/redemption.resolver';
import { resolveRedemptionReference } from './modules/redemption/redemption.reference';

export function buildBenefitSchema(): Promise<FederatedSchema> {
  return buildFederatedSchema({
    resolvers: [
      ProgramResolver,
      MemberBenefitsResolver,
      VoucherConnectionResolver,
      VoucherResolver,
      BatchResolver,
      RedemptionResolver,
      RedemptionConnectionResolver,
      DiscountClaimResolver,
      HospitalPolicyResolver,
      HospitalProgramResolver,
      DiscountClaimConnectionResolver,
    ],
    // Entities that only extend another subgraph's type are reachable from no root field.
    orphanedTypes: [MemberBenefits],
    references: {
      Member: resolveMemberReference,
      BenefitProgram: resolveProgramReference,
      DiscountClaim: resolveDiscountClaimReference,
      Voucher: resolveVoucherReference,
      VoucherBatch: resolveBatchReference,
      Redemption: resolveRedemptionReference,
    },
  });
}
