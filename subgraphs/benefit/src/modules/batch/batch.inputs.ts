import { Field, ID, InputType, Int } from 'type-graphql';
import type { VoucherKind as Kind } from './batch.entity';
import { VoucherKind } from './batch.types';

@InputType({ description: "A new voucher batch under a TRAVEL_CARD or WELFARE_VOUCHER program of the caller's subtree." })
export class CreateVoucherBatchInput {
  @Field(() => ID, { description: "A TRAVEL_CARD or WELFARE_VOUCHER program whose sponsor is in the caller's subtree." })
  programId!: string;

  @Field({ description: 'Name shown to members (1-200 characters).' })
  name!: string;

  @Field(() => VoucherKind, { description: 'What the vouchers pay for.' })
  voucherKind!: Kind;

  @Field(() => Int, { description: 'Discount of one voucher in fen, > 0.' })
  faceValueFen!: number;

  @Field(() => Int, { defaultValue: 0, description: 'Smallest order amount in fen, >= 0.' })
  minSpendFen!: number;

  @Field(() => Int, { description: 'Vouchers in the pool, 1..10,000,000.' })
  totalQuantity!: number;

  @Field(() => Int, { defaultValue: 1, description: 'Most vouchers one member may hold, 1..totalQuantity.' })
  perMemberLimit!: number;

  @Field(() => Date, { description: 'Members may claim from this instant.' })
  claimStartsAt!: Date;

  @Field(() => Date, { description: 'Members may claim until this instant (exclusive); after claimStartsAt and not after validTo.' })
  claimEndsAt!: Date;

  @Field(() => Date, { description: 'Vouchers are redeemable from this instant (within the program).' })
  validFrom!: Date;

  @Field(() => Date, { description: 'Vouchers are redeemable until this instant (exclusive, within the program).' })
  validTo!: Date;

  @Field(() => [ID], { description: 'TRAVEL_PARTNER / MERCHANT partner ids allowed to redeem.' })
  redeemablePartnerIds!: string[];

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'Only real-name verified members may claim or be granted them.' })
  realNameVerifiedOnly!: boolean | null;

  @Field(() => Int, { nullable: true, description: 'Optional: each voucher is valid for this many days (1..3660) from its claim, never past validTo.' })
  validDaysAfterClaim?: number | null;
}
