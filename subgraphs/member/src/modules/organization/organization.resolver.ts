import { asksOnlyCount, isUuid, type Page, pageOf, pageSize, RequireScopes } from '@union/common';
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Info, Int, Query, Resolver, Root } from 'type-graphql';
import type { MemberContext } from '../../context';
import { MemberErrors } from '../../errors';
import { listMembers, type MemberPage } from '../member/member.service';
import { MemberConnection, MemberFilter } from '../member/member.types';
import type { OrganizationEntity } from './organization.entity';
import { OrganizationStats, UnionOrganization, UnionOrganizationConnection } from './organization.types';

interface ChildrenPage extends Page<OrganizationEntity> {
  parentId: string;
}

@Resolver(() => UnionOrganization)
export class OrganizationResolver {
  @Query(() => UnionOrganization, {
    nullable: true,
    description: 'An organization by id. UNION callers: only inside their own subtree; null when unknown or not visible.',
  })
  @RequireScopes(['member:read'])
  async organization(@Arg('id', () => ID, { description: 'Organization id.' }) id: string, @Ctx() ctx: MemberContext): Promise<OrganizationEntity | null> {
    if (!isUuid(id)) return null;
    const organization = await ctx.loaders.organizationById.load(id);
    return organization && (await ctx.access.canSeeOrganization(organization)) ? organization : null;
  }

  @FieldResolver(() => UnionOrganization, {
    nullable: true,
    description: 'The organization above this one; null at a root (and, for UNION callers, above their own organization).',
  })
  async parent(@Root() organization: OrganizationEntity, @Ctx() ctx: MemberContext): Promise<OrganizationEntity | null> {
    if (!organization.parentId) return null;
    const parent = await ctx.loaders.organizationById.load(organization.parentId);
    return parent && (await ctx.access.canSeeOrganization(parent)) ? parent : null;
  }

  @FieldResolver(() => UnionOrganizationConnection, { description: 'Organizations directly below this one, by name.' })
  @RequireScopes(['member:read'])
  async children(
    @Root() organization: OrganizationEntity,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20, description: 'Page size, at most 100.' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after: string | null,
    @Ctx() ctx: MemberContext,
  ): Promise<ChildrenPage> {
    await this.assertReadable(organization, ctx);
    const limit = pageSize(first);
    const listName = `children:${organization.id}`;
    const position = ctx.cursors.decode<[string, string]>(listName, after);
    const rows = await ctx.loaders.childrenPage.load({ parentId: organization.id, limit: limit + 1, after: position });
    return {
      ...pageOf(rows, limit, (last) => ctx.cursors.encode(listName, [last.name, last.id])),
      parentId: organization.id,
    };
  }

  @FieldResolver(() => MemberConnection, { description: 'Members of this organization and its whole subtree (UNION callers: own subtree only).' })
  @RequireScopes(['member:read'])
  async members(
    @Root() organization: OrganizationEntity,
    @Arg('filter', () => MemberFilter, { nullable: true, description: 'Conditions every listed member meets.' }) filter: MemberFilter | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20, description: 'Page size, at most 100.' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after: string | null,
    @Ctx() ctx: MemberContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<MemberPage> {
    await this.assertReadable(organization, ctx);
    return listMembers(ctx, organization, filter, first, after, asksOnlyCount(info));
  }

  @FieldResolver(() => OrganizationStats, { description: "Counts over the organization's whole subtree." })
  @RequireScopes(['member:read'])
  async stats(@Root() organization: OrganizationEntity, @Ctx() ctx: MemberContext): Promise<OrganizationStats> {
    await this.assertReadable(organization, ctx);
    const stats = await ctx.loaders.statsByOrganizationId.load(organization.id);
    const memberCount = Number(stats?.memberCount ?? 0);
    const verified = Number(stats?.verifiedCount ?? 0);
    return {
      memberCount,
      activeMemberCount: Number(stats?.activeCount ?? 0),
      realNameVerifiedCount: verified,
      realNameVerificationRate: memberCount === 0 ? 0 : verified / memberCount,
      newEmploymentFormCount: Number(stats?.newEmploymentFormCount ?? 0),
    };
  }

  private async assertReadable(organization: OrganizationEntity, ctx: MemberContext): Promise<void> {
    if (!(await ctx.access.canReadOrganizationContents(organization))) {
      throw MemberErrors.forbidden('this organization is outside the subtree you may read');
    }
  }
}

@Resolver(() => UnionOrganizationConnection)
export class OrganizationConnectionResolver {
  @FieldResolver(() => Int, { description: 'Number of organizations directly below the parent.' })
  totalCount(@Root() page: ChildrenPage, @Ctx() ctx: MemberContext): Promise<number> {
    return ctx.loaders.childCount.load(page.parentId);
  }
}
