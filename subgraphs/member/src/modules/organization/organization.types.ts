import { Directive, Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '@union/common';
import type { OrganizationKind as Kind } from './organization.entity';

export enum OrganizationKind {
  FEDERATION = 'FEDERATION',
  INDUSTRY_FEDERATION = 'INDUSTRY_FEDERATION',
  REGIONAL = 'REGIONAL',
  ENTERPRISE = 'ENTERPRISE',
}
registerEnumType(OrganizationKind, {
  name: 'OrganizationKind',
  description: 'What kind of union organization a node of the tree is.',
  valuesConfig: {
    FEDERATION: { description: 'A federation of unions at some level, e.g. 广州市总工会' },
    INDUSTRY_FEDERATION: { description: '行业工会联合会: express delivery, ride-hailing, logistics ...' },
    REGIONAL: { description: '区域性工会: business district, building, park, community, village' },
    ENTERPRISE: { description: "A single employer's union" },
  },
});

// simpleResolvers: the plain properties resolve with graphql's default resolver; type-graphql's
// per-field wrapper (middlewares, auth checks) has nothing to do there. Field resolvers keep theirs.
@ObjectType({ description: 'A union organization: one node of the tree from the provincial federation down to enterprise unions.', simpleResolvers: true })
@Directive('@key(fields: "id")')
export class UnionOrganization {
  @Field(() => ID, { description: 'Stable organization id.' })
  id!: string;

  @Field({ description: 'Official name, e.g. 天河区总工会.' })
  name!: string;

  @Field(() => OrganizationKind, { description: 'Kind of organization.' })
  kind!: Kind;
}

@ObjectType({ description: 'A page of union organizations.', simpleResolvers: true })
export class UnionOrganizationConnection {
  @Field(() => [UnionOrganization], { description: 'The organizations of this page.' })
  nodes!: UnionOrganization[];

  @Field(() => PageInfo, { description: 'Where this page ends.' })
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'Number of organizations in the whole list.' })
  totalCount!: number;
}

@ObjectType({ description: "Counts over the organization's whole subtree." })
export class OrganizationStats {
  @Field(() => Int, { description: 'Members in the subtree, any status.' })
  memberCount!: number;

  @Field(() => Int, { description: 'Members with status ACTIVE.' })
  activeMemberCount!: number;

  @Field(() => Int, { description: 'Members whose identity is real-name verified (实名认证).' })
  realNameVerifiedCount!: number;

  @Field(() => Float, { description: 'realNameVerifiedCount / memberCount, 0..1' })
  realNameVerificationRate!: number;

  @Field(() => Int, { description: '新就业形态劳动者: couriers, ride-hailing and delivery drivers, truck drivers ...' })
  newEmploymentFormCount!: number;
}
