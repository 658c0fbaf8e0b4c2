import { RequireScopes } from '@union/common';
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { PointsContext } from '../../context';
import { PointsErrors } from '../../errors';
import { MemberPoints } from '../member/member.types';
import type { RewardEntity, RewardOrderEntity } from './reward.entity';
import { CreateRewardInput } from './reward.inputs';
import { cancelRewardOrder, countRewards, createReward, listRewards, redeemReward, type RewardPage } from './reward.service';
import { Reward, RewardConnection, RewardOrder } from './reward.types';

@Resolver(() => Reward)
export class RewardResolver {
  @Query(() => RewardConnection, { description: 'The points mall catalog, newest first.' })
  rewards(
    @Arg('first', () => Int, { nullable: true, defaultValue: 20, description: 'Page size, at most 100.' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after: string | null,
    @Ctx() ctx: PointsContext,
  ): Promise<RewardPage> {
    return listRewards(ctx, first, after);
  }

  @Mutation(() => Reward, { description: 'PLATFORM: add an item to the points mall.' })
  @RequireScopes(['reward:manage'])
  createReward(
    @Arg('input', () => CreateRewardInput, { description: 'The reward.' }) input: CreateRewardInput,
    @Ctx() ctx: PointsContext,
  ): Promise<RewardEntity> {
    return createReward(ctx, input);
  }

  @Mutation(() => RewardOrder, { description: 'MEMBER: spend points in the points mall; never a negative balance, never more than stock.' })
  @RequireScopes(['member:self'])
  redeemReward(
    @Arg('rewardId', () => ID, { description: 'The reward to order.' }) rewardId: string,
    @Arg('quantity', () => Int, { defaultValue: 1, description: `Units, 1..100.` }) quantity: number,
    @Ctx() ctx: PointsContext,
  ): Promise<RewardOrderEntity> {
    return redeemReward(ctx, rewardId, quantity);
  }

  @Mutation(() => RewardOrder, { description: 'MEMBER (own order) or PLATFORM: points and stock come back.' })
  @RequireScopes(['member:self'], ['reward:manage'])
  cancelRewardOrder(@Arg('orderId', () => ID, { description: 'The order to cancel.' }) orderId: string, @Ctx() ctx: PointsContext): Promise<RewardOrderEntity> {
    return cancelRewardOrder(ctx, orderId);
  }
}

@Resolver(() => RewardConnection)
export class RewardConnectionResolver {
  @FieldResolver(() => Int, { description: 'Number of rewards in the mall.' })
  totalCount(@Ctx() ctx: PointsContext): Promise<number> {
    return countRewards(ctx.db);
  }
}

@Resolver(() => RewardOrder)
export class RewardOrderResolver {
  @FieldResolver(() => Reward, { description: 'The reward ordered.' })
  async reward(@Root() order: RewardOrderEntity, @Ctx() ctx: PointsContext): Promise<RewardEntity> {
    const reward = await ctx.loaders.rewardById.load(order.rewardId);
    if (!reward) throw PointsErrors.notFound('reward');
    return reward;
  }

  @FieldResolver(() => MemberPoints, {
    nullable: true,
    description: 'The member who placed the order. Null, with a SERVICE_UNAVAILABLE error at its path, while the member service is unavailable.',
  })
  member(@Root() order: RewardOrderEntity): MemberPoints {
    return { id: order.memberId };
  }
}
