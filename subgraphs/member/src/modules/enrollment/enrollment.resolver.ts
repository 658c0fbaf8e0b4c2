import { RequireScopes } from '@union/common';
import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { MemberContext } from '../../context';
import type { MemberEntity } from '../member/member.entity';
import { Member } from '../member/member.types';
import { EnrollMemberInput } from './enrollment.inputs';
import { enrollMember } from './enrollment.service';

@Resolver()
export class EnrollmentResolver {
  @Mutation(() => Member, {
    description: 'UNION with member:write, in its own subtree. One person (idNumber) has at most one membership: enrolling again fails with ALREADY_MEMBER.',
  })
  @RequireScopes(['member:write'])
  enrollMember(
    @Arg('input', () => EnrollMemberInput, { description: 'The worker and the organization they join.' }) input: EnrollMemberInput,
    @Ctx() ctx: MemberContext,
  ): Promise<MemberEntity> {
    return enrollMember(ctx, input);
  }
}
