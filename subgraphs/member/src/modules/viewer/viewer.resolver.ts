import { maskName } from '@union/common';
import { Ctx, Directive, Field, ID, ObjectType, Query, Resolver, registerEnumType } from 'type-graphql';
import type { MemberContext } from '../../context';
import { UnionOrganization } from '../organization/organization.types';
import type { OrganizationEntity } from '../organization/organization.entity';

export enum PrincipalKind {
  HOSPITAL = 'HOSPITAL',
  TRAVEL_PARTNER = 'TRAVEL_PARTNER',
  MERCHANT = 'MERCHANT',
  UNION = 'UNION',
  PLATFORM = 'PLATFORM',
  MEMBER = 'MEMBER',
}
registerEnumType(PrincipalKind, {
  name: 'PrincipalKind',
  description: 'What kind of caller an access token belongs to.',
  valuesConfig: {
    HOSPITAL: { description: 'A partner hospital: verifies member cards and applies hospital discounts.' },
    TRAVEL_PARTNER: { description: 'A travel partner: redeems travel-card vouchers.' },
    MERCHANT: { description: 'A merchant: redeems welfare vouchers.' },
    UNION: { description: 'A local union acting on its own subtree of the organization tree.' },
    PLATFORM: { description: 'The member platform itself (粤工惠); may act for members.' },
    MEMBER: { description: 'A member, through the platform app (token exchange).' },
  },
});

// simpleResolvers: the plain properties resolve with graphql's default resolver; type-graphql's
// per-field wrapper (middlewares, auth checks) has nothing to do there. Field resolvers keep theirs.
@ObjectType({ description: 'The authenticated caller, as the gateway sees it.', simpleResolvers: true })
export class Viewer {
  @Field(() => PrincipalKind, { description: 'Kind of caller.' })
  kind!: PrincipalKind;

  @Field(() => ID, { description: 'Partner id (for HOSPITAL / TRAVEL_PARTNER / MERCHANT / UNION / PLATFORM) or member id (MEMBER).' })
  id!: string;

  @Field({ description: 'Partner name; for MEMBER callers the masked display name.' })
  name!: string;

  @Field(() => [String], { description: 'Scopes granted to this access token.' })
  scopes!: string[];

  @Field(() => UnionOrganization, { nullable: true, description: 'For UNION callers: the organization whose subtree they may act on.' })
  organization!: OrganizationEntity | null;
}

@Resolver(() => Viewer)
export class ViewerResolver {
  @Query(() => Viewer, { description: 'The caller of this request: who the access token says it is, and what it may do.' })
  @Directive('@authenticated')
  async viewer(@Ctx() ctx: MemberContext): Promise<Viewer> {
    const { principal } = ctx;
    let name = principal.name;
    if (principal.kind === 'MEMBER') {
      const member = await ctx.loaders.memberById.load(principal.id);
      name = member ? maskName(member.fullName) : principal.name;
    }
    const organization = principal.organizationId ? await ctx.loaders.organizationById.load(principal.organizationId) : null;
    return { kind: principal.kind as PrincipalKind, id: principal.id, name, scopes: principal.scopes, organization };
  }
}
