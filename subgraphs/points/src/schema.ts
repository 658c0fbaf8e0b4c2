import { buildFederatedSchema, type FederatedSchema } from '@union/common';
import { resolveMemberReference } from './modules/member/member.reference';
import {
  MemberPointsResolver,
  PointsAccountResolver,
  PointsTransactionConnectionResolver,
  RewardOrderConnectionResolver,
} from './modules/member/member.resolver';
import { MemberPoints } from './modules/member/member.types';
import { PointsResolver } from './modules/points/points.resolver';
import { resolveRewardReference } from './modules/reward/reward.reference';
import { RewardConnectionResolver, RewardOrderResolver, RewardResolver } from './modules/reward/reward.resolver';

export function buildPointsSchema(): Promise<FederatedSchema> {
  return buildFederatedSchema({
    resolvers: [
      MemberPointsResolver,
      PointsAccountResolver,
      PointsTransactionConnectionResolver,
      PointsResolver,
      RewardResolver,
      RewardConnectionResolver,
      RewardOrderResolver,
      RewardOrderConnectionResolver,
    ],
    // Entities that only extend another subgraph's type are reachable from no root field.
    orphanedTypes: [MemberPoints],
    references: { Member: resolveMemberReference, Reward: resolveRewardReference },
  });
}
