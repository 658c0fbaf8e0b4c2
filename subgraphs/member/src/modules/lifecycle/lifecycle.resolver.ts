import { RequireScopes } from '@union/common';
import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { MemberContext } from '../../context';
import type { MemberEntity } from '../member/member.entity';
import { Member, MembershipStatus } from '../member/member.types';
import { UpdateMemberInput } from './lifecycle.inputs';
import { changeMemberStatus, updateMember } from './lifecycle.service';

@Resolver()
export class LifecycleResolver {
  @Mutation(() => Member, {
    description: 'UNION with member:write over the member. Recorded in membershipHistory (UPDATED) and updatedAt; a call that changes nothing records nothing.',
  })
  @RequireScopes(['member:write'])
  updateMember(
    @Arg('id', () => ID, { description: "The member; must be in the caller's subtree." }) id: string,
    @Arg('input', () => UpdateMemberInput, { description: 'The fields to change.' }) input: UpdateMemberInput,
    @Ctx() ctx: MemberContext,
  ): Promise<MemberEntity> {
    return updateMember(ctx, id, input);
  }

  @Mutation(() => Member, {
    description:
      'UNION with member:write over the member: SUSPENDED or LAPSED with a reason, or ACTIVE again. TRANSFERRED_OUT is set only by transfers. A member who is not ACTIVE gets no member token, fails card verification (MEMBER_NOT_ACTIVE) and cannot claim vouchers or receive points; vouchers and points are kept.',
  })
  @RequireScopes(['member:write'])
  changeMemberStatus(
    @Arg('id', () => ID, { description: "The member; must be in the caller's subtree." }) id: string,
    @Arg('status', () => MembershipStatus, { description: 'SUSPENDED, LAPSED or ACTIVE.' }) status: MembershipStatus,
    @Arg('reason', () => String, { description: 'Why (1 to 500 characters), e.g. 欠缴会费; kept in the membership history.' }) reason: string,
    @Ctx() ctx: MemberContext,
  ): Promise<MemberEntity> {
    return changeMemberStatus(ctx, id, status, reason);
  }
}
