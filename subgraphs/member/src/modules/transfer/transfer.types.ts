import { PageInfo } from '@union/common';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MembershipStatus } from '../member/member.types';
import { UnionOrganization } from '../organization/organization.types';

export enum MembershipEventKind {
  ENROLLED = 'ENROLLED',
  TRANSFERRED = 'TRANSFERRED',
  UPDATED = 'UPDATED',
  STATUS_CHANGED = 'STATUS_CHANGED',
}
registerEnumType(MembershipEventKind, {
  name: 'MembershipEventKind',
  description: 'What happened to a membership.',
  valuesConfig: {
    ENROLLED: {
      description:
        'The member joined: through enrollMember, an approved join application (扫码入会) or a bulk import (members loaded from an existing register before imports existed have no such event).',
    },
    TRANSFERRED: { description: 'The member moved to another organization (转会) through transferMember.' },
    UPDATED: { description: 'The union changed member data through updateMember (changedFields names which; values are not kept here).' },
    STATUS_CHANGED: { description: 'The union suspended, lapsed or reinstated the membership through changeMemberStatus (fromStatus, toStatus, reason).' },
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
  fromStatus: string | null;
  toStatus: string | null;
  reason: string | null;
  changedFields: string[] | null;
}

@ObjectType({ description: "One entry of a member's membership history (入会, 转会)." })
export class MembershipEvent {
  @Field(() => ID, { description: 'Event id; ids grow in the order events happened.' })
  id!: string;

  @Field(() => MembershipEventKind, { description: 'What happened.' })
  kind!: MembershipEventKind;

  @Field(() => UnionOrganization, { nullable: true, description: 'The organization the member left; null unless TRANSFERRED.' })
  fromOrganization!: UnionOrganization | null;

  @Field(() => UnionOrganization, { description: 'The organization the member joined (TRANSFERRED, ENROLLED), or belonged to when it happened.' })
  toOrganization!: UnionOrganization;

  @Field(() => MembershipStatus, { nullable: true, description: 'STATUS_CHANGED: the status before.' })
  fromStatus!: string | null;

  @Field(() => MembershipStatus, { nullable: true, description: 'STATUS_CHANGED: the status after.' })
  toStatus!: string | null;

  @Field(() => String, { nullable: true, description: 'STATUS_CHANGED: the reason the union gave (e.g. 欠缴会费).' })
  reason!: string | null;

  @Field(() => [String], { nullable: true, description: 'UPDATED: which member fields changed (phone, newEmploymentForm); values are not recorded.' })
  changedFields!: string[] | null;

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
