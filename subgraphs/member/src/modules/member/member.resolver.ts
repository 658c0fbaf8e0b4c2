import { isUuid, maskCardNumber, maskName, maskPhone, RequireScopes } from '@union/common';
import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import type { MemberContext } from '../../context';
import { UnionOrganization } from '../organization/organization.types';
import type { MemberEntity } from './member.entity';
import { countMembers, type MemberPage } from './member.service';
import { Member, MemberConnection, TOTAL_COUNT_DESCRIPTION, TOTAL_COUNT_IS_EXACT_DESCRIPTION } from './member.types';

@Resolver(() => Member)
export class MemberResolver {
  @Query(() => Member, { nullable: true, description: 'MEMBER callers: themselves.' })
  @RequireScopes(['member:self'])
  async me(@Ctx() ctx: MemberContext): Promise<MemberEntity | null> {
    if (ctx.principal.kind !== 'MEMBER') return null;
    return ctx.loaders.memberById.load(ctx.principal.id);
  }

  @Query(() => Member, {
    nullable: true,
    description: 'A member by id. UNION callers: only members of their own subtree; null when unknown or not visible.',
  })
  @RequireScopes(['member:read'])
  async member(@Arg('id', () => ID, { description: 'Member id.' }) id: string, @Ctx() ctx: MemberContext): Promise<MemberEntity | null> {
    if (!isUuid(id)) return null;
    const member = await ctx.loaders.memberById.load(id);
    return member && (await ctx.access.canListMember(member)) ? member : null;
  }

  @FieldResolver(() => String, { description: 'Masked unless the caller holds member:pii over this member.' })
  async cardNumber(@Root() member: MemberEntity, @Ctx() ctx: MemberContext): Promise<string> {
    return (await ctx.access.disclosePersonalData(member, 'cardNumber')) ? member.cardNumber : maskCardNumber(member.cardNumber);
  }

  @FieldResolver(() => String, { description: 'Masked display name, always safe to show.' })
  displayName(@Root() member: MemberEntity): string {
    return maskName(member.fullName);
  }

  @FieldResolver(() => String, { nullable: true, description: "Full name: only with member:pii over this member's organization chain, else null." })
  async fullName(@Root() member: MemberEntity, @Ctx() ctx: MemberContext): Promise<string | null> {
    return (await ctx.access.disclosePersonalData(member, 'fullName')) ? member.fullName : null;
  }

  @FieldResolver(() => String, { nullable: true, description: 'Masked phone 138****1234 unless member:pii.' })
  async phone(@Root() member: MemberEntity, @Ctx() ctx: MemberContext): Promise<string | null> {
    return (await ctx.access.disclosePersonalData(member, 'phone')) ? member.phone : maskPhone(member.phone);
  }

  @FieldResolver(() => UnionOrganization, { description: 'The union organization the member belongs to directly.' })
  async organization(@Root() member: MemberEntity, @Ctx() ctx: MemberContext) {
    return ctx.loaders.organizationById.load(member.organizationId);
  }
}

@Resolver(() => MemberConnection)
export class MemberConnectionResolver {
  @FieldResolver(() => Int, { description: TOTAL_COUNT_DESCRIPTION })
  async totalCount(@Root() page: MemberPage, @Ctx() ctx: MemberContext): Promise<number> {
    return (await countMembers(ctx, page)).count;
  }

  @FieldResolver(() => Boolean, { description: TOTAL_COUNT_IS_EXACT_DESCRIPTION })
  async totalCountIsExact(@Root() page: MemberPage, @Ctx() ctx: MemberContext): Promise<boolean> {
    return (await countMembers(ctx, page)).exact;
  }
}
