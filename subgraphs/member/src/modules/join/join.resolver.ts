import { maskName, maskPhone, RequireScopes } from '@union/common';
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { MemberContext } from '../../context';
import type { MemberEntity } from '../member/member.entity';
import { Member } from '../member/member.types';
import type { OrganizationEntity } from '../organization/organization.entity';
import { UnionOrganization } from '../organization/organization.types';
import {
  type ApplicationPage,
  approveJoinApplication,
  countJoinApplications,
  createJoinInvitation,
  listJoinApplications,
  rejectJoinApplication,
  submitJoinApplication,
} from './join.service';
import {
  JoinApplication,
  JoinApplicationConnection,
  type JoinApplicationRow,
  JoinApplicationStatus,
  JoinInvitation,
  type JoinInvitationRow,
  SubmitJoinApplicationInput,
} from './join.types';

const organizationOf = async (ctx: MemberContext, id: string): Promise<OrganizationEntity> => {
  const organization = await ctx.loaders.organizationById.load(id);
  if (!organization) throw new Error(`organization ${id} is missing`);
  return organization;
};

@Resolver(() => JoinInvitation)
export class JoinInvitationResolver {
  @Mutation(() => JoinInvitation, { description: 'UNION with member:write over the organization: a code to show as a QR code (扫码入会).' })
  @RequireScopes(['member:write'])
  createJoinInvitation(
    @Arg('organizationId', () => ID, { description: "The organization applicants join; in the caller's subtree." }) organizationId: string,
    @Arg('autoApprove', () => Boolean, { nullable: true, defaultValue: false, description: 'Applications become members at once, without review.' })
    autoApprove: boolean,
    @Arg('expiresAt', () => Date, { nullable: true, description: 'Applications after this instant are refused (APPLICATION_CLOSED); at most a year ahead.' })
    expiresAt: Date | null,
    @Arg('maxApplications', () => Int, { nullable: true, description: 'At most this many applications (1 to 1,000,000); then APPLICATION_CLOSED.' })
    maxApplications: number | null,
    @Ctx() ctx: MemberContext,
  ): Promise<JoinInvitationRow> {
    return createJoinInvitation(ctx, organizationId, autoApprove ?? false, expiresAt ?? null, maxApplications ?? null);
  }

  @FieldResolver(() => UnionOrganization, { description: 'The organization applicants join.' })
  organization(@Root() invitation: JoinInvitationRow, @Ctx() ctx: MemberContext): Promise<OrganizationEntity> {
    return organizationOf(ctx, invitation.organizationId);
  }
}

@Resolver(() => JoinApplication)
export class JoinApplicationResolver {
  @Query(() => JoinApplicationConnection, { description: 'UNION with member:read: applications to organizations of its own subtree, oldest first.' })
  @RequireScopes(['member:read'])
  joinApplications(
    @Arg('organizationId', () => ID, { description: "An organization of the caller's subtree; applications to it and to its whole subtree." })
    organizationId: string,
    @Arg('status', () => JoinApplicationStatus, { nullable: true, description: 'Only applications with this status (e.g. PENDING: the review queue).' })
    status: JoinApplicationStatus | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20, description: 'Page size, at most 100.' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after: string | null,
    @Ctx() ctx: MemberContext,
  ): Promise<ApplicationPage> {
    return listJoinApplications(ctx, organizationId, status ?? null, first, after);
  }

  @Mutation(() => JoinApplication, {
    description:
      'PLATFORM (the member app), for the worker who scanned the code. The same idNumber applying again through the same invitation gets its existing application back. Unknown, expired or full invitations: APPLICATION_CLOSED. Rate-limited per invitation and per ID number (RATE_LIMITED).',
  })
  @RequireScopes(['member:act-as'])
  submitJoinApplication(
    @Arg('input', () => SubmitJoinApplicationInput, { description: 'The scanned code and the worker.' }) input: SubmitJoinApplicationInput,
    @Ctx() ctx: MemberContext,
  ): Promise<JoinApplicationRow> {
    return submitJoinApplication(ctx, input);
  }

  @Mutation(() => JoinApplication, {
    description:
      "UNION with member:write over the application's organization. If the person is already a member elsewhere, fails with ALREADY_MEMBER (a transfer is the way: extensions.hint TRANSFER, and extensions.memberId when that member is in the caller's subtree).",
  })
  @RequireScopes(['member:write'])
  approveJoinApplication(@Arg('id', () => ID, { description: 'The application.' }) id: string, @Ctx() ctx: MemberContext): Promise<JoinApplicationRow> {
    return approveJoinApplication(ctx, id);
  }

  @Mutation(() => JoinApplication, { description: "UNION with member:write over the application's organization." })
  @RequireScopes(['member:write'])
  rejectJoinApplication(
    @Arg('id', () => ID, { description: 'The application.' }) id: string,
    @Arg('reason', () => String, { description: 'Why (1 to 500 characters); the member app may show it to the worker.' }) reason: string,
    @Ctx() ctx: MemberContext,
  ): Promise<JoinApplicationRow> {
    return rejectJoinApplication(ctx, id, reason);
  }

  @FieldResolver(() => UnionOrganization, { description: "The organization applied to (the invitation's)." })
  organization(@Root() application: JoinApplicationRow, @Ctx() ctx: MemberContext): Promise<OrganizationEntity> {
    return organizationOf(ctx, application.organizationId);
  }

  @FieldResolver(() => String, { description: 'Masked like Member.displayName.' })
  displayName(@Root() application: JoinApplicationRow): string {
    return maskName(application.fullName);
  }

  @FieldResolver(() => String, { nullable: true, description: 'Only with member:pii over the organization, else null.' })
  async fullName(@Root() application: JoinApplicationRow, @Ctx() ctx: MemberContext): Promise<string | null> {
    return (await ctx.access.discloseApplicantData(application, 'fullName')) ? application.fullName : null;
  }

  @FieldResolver(() => String, { nullable: true, description: 'Masked unless member:pii.' })
  async phone(@Root() application: JoinApplicationRow, @Ctx() ctx: MemberContext): Promise<string | null> {
    return (await ctx.access.discloseApplicantData(application, 'phone')) ? application.phone : maskPhone(application.phone);
  }

  @FieldResolver(() => Member, { nullable: true, description: 'The member that approval created (or found, see approveJoinApplication).' })
  async member(@Root() application: JoinApplicationRow, @Ctx() ctx: MemberContext): Promise<MemberEntity | null> {
    if (!application.memberId) return null;
    const member = await ctx.loaders.memberById.load(application.memberId);
    return member && (await ctx.access.canListMember(member)) ? member : null;
  }
}

@Resolver(() => JoinApplicationConnection)
export class JoinApplicationConnectionResolver {
  @FieldResolver(() => Int, { description: 'Number of applications matching in the whole subtree.' })
  totalCount(@Root() page: ApplicationPage, @Ctx() ctx: MemberContext): Promise<number> {
    return countJoinApplications(ctx, page);
  }
}
