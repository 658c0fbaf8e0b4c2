import { buildFederatedSchema, type FederatedSchema } from '@union/common';
import { resolveMemberReference } from './modules/member/member.reference';
import { MemberConnectionResolver, MemberResolver } from './modules/member/member.resolver';
import { resolveOrganizationReference } from './modules/organization/organization.reference';
import { OrganizationConnectionResolver, OrganizationResolver } from './modules/organization/organization.resolver';
import { MemberAccessFactsResolver } from './modules/directory/directory.resolver';
import { ViewerResolver } from './modules/viewer/viewer.resolver';
import { EnrollmentResolver } from './modules/enrollment/enrollment.resolver';
import { MembershipEventConnectionResolver, MembershipEventResolver, TransferResolver } from './modules/transfer/transfer.resolver';
import { VerificationResolver } from './modules/verification/verification.resolver';
import { LifecycleResolver } from './modules/lifecycle/lifecycle.resolver';
import { JoinApplicationConnectionResolver, JoinApplicationResolver, JoinInvitationResolver } from './modules/join/join.resolver';

export function buildMemberSchema(): Promise<FederatedSchema> {
  return buildFederatedSchema({
    resolvers: [
      MemberResolver,
      MemberConnectionResolver,
      MemberAccessFactsResolver,
      OrganizationResolver,
      OrganizationConnectionResolver,
      ViewerResolver,
      EnrollmentResolver,
      TransferResolver,
      MembershipEventResolver,
      MembershipEventConnectionResolver,
      VerificationResolver,
      LifecycleResolver,
      JoinInvitationResolver,
      JoinApplicationResolver,
      JoinApplicationConnectionResolver,
    ],
    references: {
      Member: resolveMemberReference,
      UnionOrganization: resolveOrganizationReference,
    },
  });
}
