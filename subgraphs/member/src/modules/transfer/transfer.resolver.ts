import { RequireScopes } from '@union/common';
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import type { MemberContext } from '../../context';
import type { MemberEntity } from '../member/member.entity';
import { Member } from '../member/member.types';
import type { OrganizationEntity } from '../organization/organization.entity';
import { UnionOrganization } from '../organization/organization.types';
import { type HistoryPage, membershipHistory, transferMember } from './transfer.service';
import { MembershipEvent, MembershipEventConnection, type MembershipEventRow } from './transfer.types';

@Resolver(() => Member)
export class TransferResolver {
  @Mutation(() => Member, { description: "UNION with member:write over both the member's current organization and the target (转会)." })
  @RequireScopes(['member:write'])
  transferMember(
    @Arg('memberId', () => ID, { description: "The member to move; must be in the caller's subtree." }) memberId: string,
    @Arg('toOrganizationId', () => ID, { description: "The organization the member moves to; must be in the caller's subtree." }) toOrganizationId: string,
    @Ctx() ctx: MemberContext,
  ): Promise<MemberEntity> {
    return transferMember(ctx, memberId, toOrganizationId);
  }

  @FieldResolver(() => MembershipEventConnection, {
    description: "Enrollment, transfers, updates and status changes of this member, oldest first. Only for unions on the member's organization chain.",
  })
  @RequireScopes(['member:read'])
  membershipHistory(
    @Root() member: MemberEntity,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20, description: 'Page size, at most 100.' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after: string | null,
    @Ctx() ctx: MemberContext,
  ): Promise<HistoryPage> {
    return membershipHistory(ctx, member, first, after);
  }
}

@Resolver(() => MembershipEvent)
export class MembershipEventResolver {
  @FieldResolver(() => UnionOrganization, { nullable: true, description: 'The organization the member left; null unless TRANSFERRED.' })
  async fromOrganization(@Root() event: MembershipEventRow, @Ctx() ctx: MemberContext): Promise<OrganizationEntity | null> {
    return event.fromOrganizationId ? ctx.loaders.organizationById.load(event.fromOrganizationId) : null;
  }

  @FieldResolver(() => UnionOrganization, { description: 'The organization the member joined (TRANSFERRED, ENROLLED), or belonged to when it happened.' })
  async toOrganization(@Root() event: MembershipEventRow, @Ctx() ctx: MemberContext): Promise<OrganizationEntity> {
    const organization = await ctx.loaders.organizationById.load(event.toOrganizationId);
    if (!organization) throw new Error(`organization ${event.toOrganizationId} of event ${event.id} is missing`);
    return organization;
  }

  @FieldResolver(() => String, { description: 'Name of the union (partner) that recorded it.' })
  recordedBy(@Root() event: MembershipEventRow): string {
    return event.actorName;
  }
}

@Resolver(() => MembershipEventConnection)
export class MembershipEventConnectionResolver {
  @FieldResolver(() => Int, { description: "Number of events in the member's whole history." })
  totalCount(@Root() page: HistoryPage, @Ctx() ctx: MemberContext): Promise<number> {
    return ctx.loaders.membershipEventCount.load(page.memberId);
  }
}
