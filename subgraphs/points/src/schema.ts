import { buildFederatedSchema, type FederatedSchema } from '@union/common';
import { resolveMemberReference } from './modules/member/member.reference';
import { MemberPointsResolver, PointsAccountResolver, PointsTransactionConnectionResolver } from './modules/member/member.resolver';
import { MemberPoints } from './modules/member/member.types';

export function buildPointsSchema(): Promise<FederatedSchema> {
  return buildFederatedSchema({
    resolvers: [MemberPointsResolver, PointsAccountResolver, PointsTransactionConnectionResolver],
    // Entities that only extend another subgraph's type are reachable from no root field.
    orphanedTypes: [MemberPoints],
    references: { Member: resolveMemberReference },
  });
}
