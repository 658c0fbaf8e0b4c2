import { PageInfo } from '@union/common';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { UnionOrganization } from '../organization/organization.types';

export enum MembershipEventKind {
  ENROLLED = 'ENROLLED',
  TRANSFERRED = 'TRANSFERRED',
}
registerEnumType(MembershipEventKind, {
  name: 'MembershipEventKind',
  description: 'What happened to a membership.',
  valuesConfig: {
    ENROLLED: { description: 'The member joined through enrollMember (members imported from an existing register have no such event).' },
    TRANSFERRED: { description: 'The member moved to another organization (转会) through transferMember.' },
  },
});

export interface MembershipEventRow {
  id: string;
  memberId: string;
  kind: MembershipEventKind;
  fromOrganizationId: string | null;
  toOrganizationId: string;
  actorName: string;
  occurredAt: Date;
}

@ObjectType({ description: "One entry of a member's membership history (入会, 转会)." })
export class MembershipEvent {
  @Field(() => ID, { description: 'Event id; ids grow in the order events happened.' })
  id!: string;

  @Field(() => MembershipEventKind, { description: 'What happened.' })
  kind!: MembershipEventKind;

  @Field(() => UnionOrganization, { nullable: true, description: 'The organization the member left; null for ENROLLED.' })
  fromOrganization!: UnionOrganization | null;

  @Field(() => UnionOrganization, { description: 'The organization the member joined.' })
  toOrganization!: UnionOrganization;

  @Field({ description: 'Name of the union (partner) that recorded it.' })
  recordedBy!: string;

  @Field(() => Date, { description: 'When it happened.' })
  occurredAt!: Date;
}

@ObjectType({ description: 'A page of membership events, oldest first.' })
export class MembershipEventConnection {
  @Field(() => [MembershipEvent], { description: 'The events of this page.' })
  nodes!: MembershipEvent[];

  @Field(() => PageInfo, { description: 'Where this page ends.' })
  pageInfo!: PageInfo;

  @Field(() => Int, { description: "Number of events in the member's whole history." })
  totalCount!: number;
}
