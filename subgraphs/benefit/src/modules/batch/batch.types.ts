import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { VoucherKind as Kind } from './batch.entity';

export enum VoucherKind {
  RIDE = 'RIDE',
  HOTEL = 'HOTEL',
  FLIGHT = 'FLIGHT',
  MOVIE = 'MOVIE',
  SWIMMING = 'SWIMMING',
  RECUPERATION = 'RECUPERATION',
  MEAL = 'MEAL',
  HEALTH_CHECK = 'HEALTH_CHECK',
  FITNESS = 'FITNESS',
  GENERAL = 'GENERAL',
}
registerEnumType(VoucherKind, {
  name: 'VoucherKind',
  description: 'What a voucher pays for.',
  valuesConfig: {
    RIDE: { description: 'A ride (taxi, ride-hailing) with a travel partner.' },
    HOTEL: { description: 'A hotel stay booked with a travel partner.' },
    FLIGHT: { description: 'A flight booked with a travel partner.' },
    MOVIE: { description: 'A movie ticket.' },
    SWIMMING: { description: 'A swimming pool ticket.' },
    RECUPERATION: { description: 'A recuperation (疗休养) stay.' },
    MEAL: { description: 'A meal.' },
    HEALTH_CHECK: { description: 'A health check-up.' },
    FITNESS: { description: 'A gym or fitness class.' },
    GENERAL: { description: 'Any purchase at an allowed partner.' },
  },
});

@ObjectType({ description: 'A limited pool of vouchers (e.g. 5000 movie tickets), claimed first come first served or granted by a union.' })
@Directive('@key(fields: "id")')
export class VoucherBatch {
  @Field(() => ID, { description: 'Batch id.' })
  id!: string;

  @Field({ description: 'Name shown to members, e.g. 2026年职工观影券.' })
  name!: string;

  @Field(() => VoucherKind, { description: 'What the vouchers pay for.' })
  voucherKind!: Kind;

  @Field(() => Int, { description: 'Discount of one voucher in fen (the discount is min(faceValueFen, order amount)).' })
  faceValueFen!: number;

  @Field(() => Int, { description: 'Smallest order amount in fen the voucher may be redeemed on.' })
  minSpendFen!: number;

  @Field(() => Int, { description: 'Vouchers in the pool; never more are issued, whatever the concurrency.' })
  totalQuantity!: number;

  @Field(() => Int, { description: 'Most vouchers of this batch one member may hold (claimed and granted together).' })
  perMemberLimit!: number;

  @Field(() => Date, { description: 'Members may claim from this instant.' })
  claimStartsAt!: Date;

  @Field(() => Date, { description: 'Members may claim until this instant (exclusive).' })
  claimEndsAt!: Date;

  @Field(() => Date, { description: 'Vouchers of this batch are redeemable from this instant.' })
  validFrom!: Date;

  @Field(() => Date, { description: 'No voucher of this batch is redeemable at or after this instant.' })
  validTo!: Date;

  @Field(() => Int, {
    nullable: true,
    description: 'When set, each voucher is valid for this many days from its claim (never past validTo); else validFrom..validTo.',
  })
  validDaysAfterClaim!: number | null;

  @Field({ description: 'Only real-name verified members may claim or be granted these vouchers.' })
  realNameVerifiedOnly!: boolean;
}
