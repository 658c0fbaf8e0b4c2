import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
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
export class Voucher {
  @Field(() => ID, { description: 'Voucher id.' })
  id!: string;

  @Field(() => VoucherStatus, { description: 'Status; an ISSUED voucher past validTo reads as EXPIRED.' })
  status!: Status;

  @Field(() => Date, { description: 'First instant the voucher can be redeemed.' })
  validFrom!: Date;

  @Field(() => Date, { description: 'The voucher expires at this instant.' })
  validTo!: Date;
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
