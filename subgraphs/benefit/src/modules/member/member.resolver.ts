import { asksOnlyCount, canReadMemberAccount, isUuid, type Page, pageOf, pageSize, shanghaiYear } from '@union/common';
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, Directive, FieldResolver, ID, Info, Int, Resolver, Root } from 'type-graphql';
import type { BenefitContext } from '../../context';
import { BenefitErrors } from '../../errors';
import type { VoucherEntity } from '../voucher/voucher.entity';
import { VoucherConnection, VoucherStatus } from '../voucher/voucher.types';
import { MemberBenefits } from './member.types';

/** The gateway carries the member subgraph's signed facts to these fields (resolveMemberReference primes them). */
const REQUIRES_ACCESS_FACTS = '@requires(fields: "accessFacts")';
interface VoucherPage extends Page<VoucherEntity> {
  memberId: string;
  status: string | null;
}

/** Owner, the member's union chain and PLATFORM; everyone else is refused. */
async function assertMayReadAccount(ctx: BenefitContext, memberId: string): Promise<void> {
  const facts = await ctx.directory.members.load(memberId);
  if (!canReadMemberAccount(ctx.principal, facts)) throw BenefitErrors.forbidden("only the member, the member's unions and the platform may read this");
}

@Resolver(() => MemberBenefits)
export class MemberBenefitsResolver {
  @Directive(REQUIRES_ACCESS_FACTS)
  @FieldResolver(() => VoucherConnection, {
    nullable: true,
    description:
      'Vouchers the member holds, newest first (owner, own union chain, PLATFORM). Null, with a SERVICE_UNAVAILABLE error at its path, while the benefit service is unavailable.',
  })
  async vouchers(
    @Root() member: MemberBenefits,
    @Arg('status', () => VoucherStatus, { nullable: true, description: 'Only vouchers with this status.' }) status: VoucherStatus | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20, description: 'Page size, at most 100.' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after: string | null,
    @Ctx() ctx: BenefitContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<VoucherPage> {
    const limit = pageSize(first);
    await assertMayReadAccount(ctx, member.id);
    const listName = `vouchers:${member.id}:${status ?? ''}`;
    const position = ctx.cursors.decode<[string, string]>(listName, after);
    const rows = asksOnlyCount(info)
      ? []
      : await ctx.loaders.voucherPage.load({ memberId: member.id, status: status ?? null, limit: limit + 1, after: position });
    return {
      ...pageOf(rows, limit, (last) => ctx.cursors.encode(listName, [last.issuedAt.toISOString(), last.id])),
      memberId: member.id,
      status: status ?? null,
    };
  }

  @Directive(REQUIRES_ACCESS_FACTS)
  @FieldResolver(() => Int, {
    nullable: true,
    description:
      'Hospital discount used this calendar year (Asia/Shanghai), per program, in fen. Null, with a SERVICE_UNAVAILABLE error at its path, while the benefit service is unavailable.',
  })
  async hospitalDiscountUsedFen(
    @Root() member: MemberBenefits,
    @Arg('programId', () => ID, { description: 'The HOSPITAL_DISCOUNT program.' }) programId: string,
    @Ctx() ctx: BenefitContext,
  ): Promise<number> {
    if (!isUuid(programId)) throw BenefitErrors.notFound('program');
    await assertMayReadAccount(ctx, member.id);
    return ctx.loaders.discountUsed.load({ memberId: member.id, programId, year: shanghaiYear(new Date()) });
  }
}

@Resolver(() => VoucherConnection)
export class VoucherConnectionResolver {
  @FieldResolver(() => Int, { description: 'Number of vouchers in the whole list.' })
  async totalCount(@Root() page: VoucherPage, @Ctx() ctx: BenefitContext): Promise<number> {
    return (await ctx.loaders.voucherCount.load({ memberId: page.memberId, status: page.status })) ?? 0;
  }
}
