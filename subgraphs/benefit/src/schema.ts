import { buildFederatedSchema, type FederatedSchema } from '@union/common';
import { resolveMemberReference } from './modules/member/member.reference';
import { MemberBenefitsResolver, VoucherConnectionResolver } from './modules/member/member.resolver';
import { MemberBenefits } from './modules/member/member.types';
import { resolveProgramReference } from './modules/program/program.reference';
import { ProgramResolver } from './modules/program/program.resolver';
import { VoucherResolver } from './modules/voucher/voucher.resolver';

export function buildBenefitSchema(): Promise<FederatedSchema> {
  return buildFederatedSchema({
    resolvers: [ProgramResolver, MemberBenefitsResolver, VoucherConnectionResolver, VoucherResolver],
    // Entities that only extend another subgraph's type are reachable from no root field.
    orphanedTypes: [MemberBenefits],
    references: {
      Member: resolveMemberReference,
      BenefitProgram: resolveProgramReference,
    },
  });
}
