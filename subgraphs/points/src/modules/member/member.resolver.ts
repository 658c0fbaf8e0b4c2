import { canReadMemberAccount, type Page, pageOf, pageSize } from '@union/common';
import { Arg, Ctx, Directive, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import type { PointsContext } from '../../context';
import { PointsErrors } from '../../errors';
import type { PointsTransactionEntity } from '../points/points.entity';
import { PointsAccount, PointsTransactionConnection } from '../points/points.types';
import type { RewardOrderEntity } from '../reward/reward.entity';
import { RewardOrderConnection } from '../reward/reward.types';
import { MemberPoints } from './member.types';

/** The gateway carries the member subgraph's signed facts to these fields (resolveMemberReference primes them). */
const REQUIRES_ACCESS_FACTS = '@requires(fields: "accessFacts")';
interface OrderPage extends Page<RewardOrderEntity> {
  memberId: string;
}

/** Owner, the member's union chain and PLATFORM; everyone else is refused. */
async function assertMayReadAccount(ctx: PointsContext, memberId: string): Promise<void> {
  const facts = await ctx.directory.members.load(memberId);
  if (!canReadMemberAccount(ctx.principal, facts)) {
    throw PointsErrors.forbidden("only the member, the member's unions and the platform may read a points account");
  }
}

interface TransactionPage extends Page<PointsTransactionEntity> {
  memberId: string;
}

@Resolver(() => MemberPoints)
export class MemberPointsResolver {
  @Directive(REQUIRES_ACCESS_FACTS)
  @FieldResolver(() => PointsAccount, {
    nullable: true,
    description:
      'Points account (owner, own union chain, PLATFORM). Null, with a SERVICE_UNAVAILABLE error at its path, while the points service is unavailable.',
  })
  async points(@Root() member: MemberPoints, @Ctx() ctx: PointsContext): Promise<PointsAccount> {
    await assertMayReadAccount(ctx, member.id);
    const account = await ctx.loaders.accountByMemberId.load(member.id);
    return { memberId: member.id, balance: Number(account?.balance ?? 0), lifetimeEarned: Number(account?.lifetimeEarned ?? 0) };
  }

  @Directive(REQUIRES_ACCESS_FACTS)
  @FieldResolver(() => RewardOrderConnection, {
    nullable: true,
    description:
      "The member's points-mall orders, newest first (owner, own union chain, PLATFORM). Null, with a SERVICE_UNAVAILABLE error at its path, while the points service is unavailable.",
  })
  async rewardOrders(
    @Root() member: MemberPoints,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20, description: 'Page size, at most 100.' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after: string | null,
    @Ctx() ctx: PointsContext,
  ): Promise<OrderPage> {
    const limit = pageSize(first);
    await assertMayReadAccount(ctx, member.id);
    const listName = `reward-orders:${member.id}`;
    const position = ctx.cursors.decode<[string, string]>(listName, after);
    const rows = await ctx.loaders.orderPage.load({ memberId: member.id, limit: limit + 1, after: position });
    return {
      ...pageOf(rows, limit, (last) => ctx.cursors.encode(listName, [last.createdAt.toISOString(), last.id])),
      memberId: member.id,
    };
  }
}

@Resolver(() => RewardOrderConnection)
export class RewardOrderConnectionResolver {
  @FieldResolver(() => Int, { description: "Number of the member's orders." })
  totalCount(@Root() page: OrderPage, @Ctx() ctx: PointsContext): Promise<number> {
    return ctx.loaders.orderCount.load(page.memberId);
  }
}

@Resolver(() => PointsAccount)
export class PointsAccountResolver {
  @FieldResolver(() => Int, { description: 'Points of the balance that expire first (at nextExpiringAt); 0 when nothing is due to expire.' })
  async nextExpiringAmount(@Root() account: PointsAccount, @Ctx() ctx: PointsContext): Promise<number> {
    return (await ctx.loaders.nextExpiryByMemberId.load(account.memberId))?.amount ?? 0;
  }

  @FieldResolver(() => Date, {
    nullable: true,
    description: 'When nextExpiringAmount expires: the end of the calendar year after the points were earned (Asia/Shanghai). Null when the balance is 0.',
  })
  async nextExpiringAt(@Root() account: PointsAccount, @Ctx() ctx: PointsContext): Promise<Date | null> {
    return (await ctx.loaders.nextExpiryByMemberId.load(account.memberId))?.at ?? null;
  }

  @FieldResolver(() => PointsTransactionConnection, { description: 'The ledger, newest first.' })
  async transactions(
    @Root() account: PointsAccount,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20, description: 'Page size, at most 100.' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after: string | null,
    @Ctx() ctx: PointsContext,
  ): Promise<TransactionPage> {
    const limit = pageSize(first);
    const listName = `points:${account.memberId}`;
    const position = ctx.cursors.decode<[string]>(listName, after);
    const rows = await ctx.loaders.transactionPage.load({ memberId: account.memberId, limit: limit + 1, after: position?.[0] ?? null });
    return {
      ...pageOf(rows, limit, (last) => ctx.cursors.encode(listName, [last.seq])),
      memberId: account.memberId,
    };
  }
}

@Resolver(() => PointsTransactionConnection)
export class PointsTransactionConnectionResolver {
  @FieldResolver(() => Int, { description: 'Number of transactions in the whole ledger.' })
  totalCount(@Root() page: TransactionPage, @Ctx() ctx: PointsContext): Promise<number> {
    return ctx.loaders.transactionCount.load(page.memberId);
  }
}
