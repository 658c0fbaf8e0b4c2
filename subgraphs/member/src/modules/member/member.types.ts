import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateScalar } from '@union/common';
import { PageInfo } from '@union/common';
import type { MembershipStatus as Status } from './member.entity';

export enum MembershipStatus {
  ACTIVE = 'ACTIVE',
  SUSPENDED = 'SUSPENDED',
  TRANSFERRED_OUT = 'TRANSFERRED_OUT',
  LAPSED = 'LAPSED',
}
registerEnumType(MembershipStatus, {
  name: 'MembershipStatus',
  description: 'Where a membership stands. Only ACTIVE members receive benefits.',
  valuesConfig: {
    ACTIVE: { description: 'A member in good standing.' },
    SUSPENDED: { description: 'Membership suspended by the union (e.g. unpaid dues); benefits are paused.' },
    TRANSFERRED_OUT: { description: 'Left for a union outside this platform.' },
    LAPSED: { description: 'Membership ended.' },
  },
});

// simpleResolvers: the plain properties resolve with graphql's default resolver; type-graphql's
// per-field wrapper (middlewares, auth checks) has nothing to do there. Field resolvers keep theirs.
@ObjectType({ description: 'A union member. Personal data is masked unless the caller holds member:pii over the member.', simpleResolvers: true })
@Directive('@key(fields: "id")')
export class Member {
  @Field(() => ID, { description: 'Stable member id.' })
  id!: string;

  @Field(() => MembershipStatus, { description: 'Membership status.' })
  status!: Status;

  @Field({ description: 'Identity verified against the resident ID (实名认证).' })
  realNameVerified!: boolean;

  @Field({ description: '新就业形态劳动者 (courier, ride-hailing or delivery driver ...).' })
  newEmploymentForm!: boolean;

  @Field(() => Date, { description: 'When the member joined the union.' })
  joinedAt!: Date;

  @Field(() => Date, {
    description:
      'Last change to any field above (status and organization included), stamped by the database on every change. For incremental sync with MemberFilter.changedSince.',
  })
  updatedAt!: Date;
}

export const TOTAL_COUNT_DESCRIPTION =
  'Number of members matching the filter in the whole subtree. Exact when totalCountIsExact is true; otherwise a lower bound (at most 10,000), so that a count answers in bounded time in any subtree.';
export const TOTAL_COUNT_IS_EXACT_DESCRIPTION =
  'True when totalCount is exact: always without a filter, with one of status ACTIVE, realNameVerified or newEmploymentForm alone (maintained counters), with an exact card number, and for other filters when the subtree has at most 100,000 members (20,000 for a name prefix or changedSince) and at most 10,000 match. False: totalCount is a lower bound: counting stopped at 10,000 matches, at that many members of the subtree in list order, or (rarely, under load) at its time limit, when it is 0.';

@ObjectType({ description: 'A page of members.', simpleResolvers: true })
export class MemberConnection {
  @Field(() => [Member], { description: 'The members of this page.' })
  nodes!: Member[];

  @Field(() => PageInfo, { description: 'Where this page ends.' })
  pageInfo!: PageInfo;

  @Field(() => Int, { description: TOTAL_COUNT_DESCRIPTION })
  totalCount!: number;

  @Field(() => Boolean, { description: TOTAL_COUNT_IS_EXACT_DESCRIPTION })
  totalCountIsExact!: boolean;
}

@InputType({ description: 'Narrows a member list. All given conditions must hold.' })
export class MemberFilter {
  @Field(() => MembershipStatus, { nullable: true, description: 'Only members with this status.' })
  status?: Status | null;

  @Field(() => Boolean, { nullable: true, description: 'Only real-name verified (true) or unverified (false) members.' })
  realNameVerified?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'Only new-employment-form workers (true) or the others (false).' })
  newEmploymentForm?: boolean | null;

  @Field(() => DateScalar, { nullable: true, description: 'Joined on or after this date (Asia/Shanghai).' })
  joinedFrom?: string | null;

  @Field(() => DateScalar, { nullable: true, description: 'Joined on or before this date (Asia/Shanghai).' })
  joinedTo?: string | null;

  @Field(() => String, { nullable: true, description: 'Exact card number or (with member:pii) a name prefix.' })
  search?: string | null;

  @Field(() => Date, {
    nullable: true,
    description:
      'Members created or changed (any field of Member, status and organization included) at or after this instant: incremental sync. A change is stamped when it is written, not when it commits: ask again from your previous sync time minus a minute, and treat answers as upserts.',
  })
  changedSince?: Date | null;
}
