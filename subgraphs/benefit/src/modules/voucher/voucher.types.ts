import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '@union/common';
import type { VoucherStatus as Status } from './voucher.entity';

export enum VoucherStatus {
  ISSUED = 'ISSUED',
  REDEEMED = 'REDEEMED',
  EXPIRED = 'EXPIRED',
  VOIDED = 'VOIDED',
}
registerEnumType(VoucherStatus, {
  name: 'VoucherStatus',
  description: 'Where a voucher stands.',
  valuesConfig: {
    ISSUED: { description: 'Held by the member and redeemable within its validity window.' },
    REDEEMED: { description: 'Used at a partner (a COMPLETED redemption exists).' },
    EXPIRED: { description: 'Past validTo without being redeemed.' },
    VOIDED: { description: 'Withdrawn by the issuing union.' },
  },
});

@ObjectType({ description: 'A voucher a member holds.' })
@Directive('@key(fields: "id")')
export class Voucher {
  @Field(() => ID, { description: 'Voucher id.' })
  id!: string;

  @Field(() => VoucherStatus, { description: 'Status; an ISSUED voucher past validTo reads as EXPIRED.' })
  status!: Status;

  @Field(() => Date, { description: 'First instant the voucher can be redeemed.' })
  validFrom!: Date;

  @Field(() => Date, { description: 'The voucher expires at this instant.' })
  validTo!: Date;

  @Field(() => Date, { description: 'When the member claimed it or a union granted it.' })
  issuedAt!: Date;
}

@ObjectType({ description: 'A page of vouchers.' })
export class VoucherConnection {
  @Field(() => [Voucher], { description: 'The vouchers of this page.' })
  nodes!: Voucher[];

  @Field(() => PageInfo, { description: 'Where this page ends.' })
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'Number of vouchers in the whole list.' })
  totalCount!: number;
}

@ObjectType({ description: 'A member who got no voucher from grantVouchers, and why.' })
export class GrantSkip {
  @Field(() => ID, { description: 'The member id as given.' })
  memberId!: string;

  @Field({
    description:
      'NOT_ELIGIBLE (not ACTIVE, or the batch is for real-name verified members only), LIMIT_REACHED (holds perMemberLimit already), SOLD_OUT (the pool ran out), DUPLICATE (the id was given twice).',
  })
  reason!: string;
}

@ObjectType({ description: 'What grantVouchers did: one voucher per granted member, the others skipped with a reason.' })
export class GrantResult {
  @Field(() => [Voucher], { description: 'The vouchers granted, in the order the members were given.' })
  granted!: Voucher[];

  @Field(() => [GrantSkip], { description: 'Members who got none.' })
  skipped!: GrantSkip[];
}
