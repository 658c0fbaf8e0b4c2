import { PageInfo } from '@union/common';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Member } from '../member/member.types';
import { UnionOrganization } from '../organization/organization.types';

export enum JoinApplicationStatus {
  PENDING = 'PENDING',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
}
registerEnumType(JoinApplicationStatus, {
  name: 'JoinApplicationStatus',
  description: 'Where a join application stands.',
  valuesConfig: {
    PENDING: { description: 'Waiting for the union to approve or reject it.' },
    APPROVED: { description: 'Approved: the worker is a member (see JoinApplication.member).' },
    REJECTED: { description: 'Rejected by the union (see rejectionReason).' },
  },
});

/** A join_invitations row. */
export interface JoinInvitationRow {
  id: string;
  organizationId: string;
  code: string;
  autoApprove: boolean;
  expiresAt: Date | null;
  maxApplications: number | null;
  applicationCount: number;
  createdAt: Date;
}

/** A join_applications row (the ID number only as hash and last 4, never returned). */
export interface JoinApplicationRow {
  id: string;
  invitationId: string;
  organizationId: string;
  orgPath: string;
  fullName: string;
  idNumberHash: Buffer;
  idNumberLast4: string;
  phone: string;
  newEmploymentForm: boolean;
  employer: string | null;
  status: JoinApplicationStatus;
  submittedAt: Date;
  decidedAt: Date | null;
  rejectionReason: string | null;
  memberId: string | null;
}

@ObjectType({
  description:
    'A code that a union shows as a QR code at a workplace, a delivery station or a joining ceremony (扫码入会): a worker scans it in the member app and applies to join that organization.',
})
export class JoinInvitation {
  @Field(() => ID, { description: 'Invitation id.' })
  id!: string;

  @Field(() => UnionOrganization, { description: 'The organization applicants join.' })
  organization!: UnionOrganization;

  @Field({ description: 'What the QR code carries; the member app sends it back with the application. Unguessable (120 random bits, 24 characters A-Z 2-7).' })
  code!: string;

  @Field({ description: 'Applications through this invitation become members at once, without review.' })
  autoApprove!: boolean;

  @Field(() => Date, { nullable: true, description: 'After this instant applications are refused with APPLICATION_CLOSED; null: no expiry.' })
  expiresAt!: Date | null;

  @Field(() => Int, { nullable: true, description: 'At most this many applications (distinct ID numbers); then APPLICATION_CLOSED. Null: no maximum.' })
  maxApplications!: number | null;

  @Field(() => Int, { description: 'Applications received so far (distinct ID numbers).' })
  applicationCount!: number;

  @Field(() => Date, { description: 'When the union created it.' })
  createdAt!: Date;
}

@ObjectType({ description: "A worker's application to join, waiting for (or decided by) the union that owns the invitation's organization." })
export class JoinApplication {
  @Field(() => ID, { description: 'Application id.' })
  id!: string;

  @Field(() => UnionOrganization, { description: "The organization applied to (the invitation's)." })
  organization!: UnionOrganization;

  @Field({ description: 'Masked like Member.displayName.' })
  displayName!: string;

  @Field(() => String, { nullable: true, description: 'Only with member:pii over the organization, else null.' })
  fullName!: string | null;

  @Field(() => String, { nullable: true, description: 'Masked unless member:pii.' })
  phone!: string | null;

  @Field({ description: '新就业形态劳动者, as the worker stated.' })
  newEmploymentForm!: boolean;

  @Field(() => String, { nullable: true, description: "Where the worker works, as given (e.g. a delivery platform's partner company)." })
  employer!: string | null;

  @Field(() => JoinApplicationStatus, { description: 'Pending, approved or rejected.' })
  status!: JoinApplicationStatus;

  @Field(() => Date, { description: 'When the worker applied.' })
  submittedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When it was approved or rejected.' })
  decidedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Why it was rejected.' })
  rejectionReason!: string | null;

  @Field(() => Member, { nullable: true, description: 'The member that approval created (or found, see approveJoinApplication).' })
  member!: Member | null;
}

@ObjectType({ description: 'A page of join applications, oldest first.' })
export class JoinApplicationConnection {
  @Field(() => [JoinApplication], { description: 'The applications of this page.' })
  nodes!: JoinApplication[];

  @Field(() => PageInfo, { description: 'Where this page ends.' })
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'Number of applications matching in the whole subtree.' })
  totalCount!: number;
}

@InputType({ description: 'A worker applying through a scanned invitation (扫码入会); checked like enrollMember before anything is stored.' })
export class SubmitJoinApplicationInput {
  @Field({ description: 'The code of the scanned QR code (JoinInvitation.code); case and spaces do not matter.' })
  invitationCode!: string;

  @Field({ description: 'Full name as on the resident ID card, 1 to 50 characters.' })
  fullName!: string;

  @Field({ description: '18-character PRC resident ID number with a valid check digit; stored only as a keyed hash plus last 4.' })
  idNumber!: string;

  @Field({ description: 'Mainland mobile number, 11 digits starting with 1 (e.g. 13812345678).' })
  phone!: string;

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: '新就业形态劳动者 (courier, ride-hailing or delivery driver ...).' })
  newEmploymentForm?: boolean | null;

  @Field(() => String, { nullable: true, description: "Where the worker works (e.g. a delivery platform's partner company), 1 to 100 characters." })
  employer?: string | null;
}
