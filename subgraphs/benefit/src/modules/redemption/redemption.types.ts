import { PageInfo } from '@union/common';
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Voucher } from '../voucher/voucher.types';
import type { RedemptionStatus as Status } from './redemption.entity';

export enum RedemptionStatus {
  COMPLETED = 'COMPLETED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(RedemptionStatus, {
  name: 'RedemptionStatus',
  description: 'Where a redemption stands.',
  valuesConfig: {
    COMPLETED: { description: 'The voucher paid part of the order.' },
    CANCELLED: { description: 'Undone by the partner (order refunded); the voucher was given back.' },
  },
});

@ObjectType({ description: "A partner's use of a voucher on one of its orders." })
@Directive('@key(fields: "id")')
export class Redemption {
  @Field(() => ID, { description: 'Redemption id.' })
  id!: string;

  @Field({ description: "The partner's own order id; unique per partner (the idempotency key)." })
  partnerOrderId!: string;

  @Field(() => Int, { description: 'Order amount in fen, as sent by the partner.' })
  orderAmountFen!: number;

  @Field(() => Int, { description: 'Discount in fen: min(face value, order amount).' })
  discountFen!: number;

  @Field(() => RedemptionStatus, { description: 'COMPLETED, or CANCELLED after cancelRedemption.' })
  status!: Status;

  @Field(() => Date, { description: 'When the voucher was redeemed.' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the redemption was cancelled; null while COMPLETED.' })
  cancelledAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Why the partner cancelled it; null while COMPLETED.' })
  cancelReason!: string | null;
}

@ObjectType({ description: 'Sums over the whole list (every page), for reconciliation.' })
export class RedemptionTotals {
  @Field(() => Int, { description: 'COMPLETED redemptions.' })
  completedCount!: number;

  @Field(() => Int, { description: 'Sum of discountFen over COMPLETED redemptions: what the sponsor owes the partner.' })
  completedDiscountFen!: number;

  @Field(() => Int, { description: 'Sum of orderAmountFen over COMPLETED redemptions.' })
  completedOrderAmountFen!: number;

  @Field(() => Int, { description: 'CANCELLED redemptions.' })
  cancelledCount!: number;
}

@ObjectType({ description: 'A page of redemptions, oldest first.' })
export class RedemptionConnection {
  @Field(() => [Redemption], { description: 'The redemptions of this page.' })
  nodes!: Redemption[];

  @Field(() => PageInfo, { description: 'Where this page ends.' })
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'Number of redemptions in the whole list.' })
  totalCount!: number;

  @Field(() => RedemptionTotals, { description: 'Counts and sums over the whole list.' })
  totals!: RedemptionTotals;
}

@ObjectType({ description: 'What redeemVoucher would do with this code and amount, without doing it.' })
export class VoucherValidation {
  @Field({ description: 'True when redeemVoucher would succeed now.' })
  valid!: boolean;

  @Field(() => String, {
    nullable: true,
    description:
      'Same codes as the errors redeemVoucher would raise: VOUCHER_NOT_FOUND, VOUCHER_EXPIRED, VOUCHER_ALREADY_REDEEMED, MIN_SPEND_NOT_MET, PARTNER_NOT_ALLOWED; null when valid.',
  })
  reason!: string | null;

  @Field(() => Int, { nullable: true, description: 'The discount redeemVoucher would give, in fen; null when not valid.' })
  discountFen!: number | null;

  @Field(() => Voucher, { nullable: true, description: 'The voucher, when the code exists and the caller may redeem it.' })
  voucher!: Voucher | null;
}

@ObjectType({ description: "One partner's redemptions of one Asia/Shanghai calendar month, as CSV, for invoicing." })
export class RedemptionStatement {
  @Field({ description: 'The month, YYYY-MM (Asia/Shanghai).' })
  month!: string;

  @Field(() => ID, { description: 'The redeeming partner.' })
  partnerId!: string;

  @Field(() => Int, { description: 'COMPLETED redemptions in the month.' })
  completedCount!: number;

  @Field(() => Int, { description: 'Sum of discountFen over COMPLETED redemptions in the month.' })
  completedDiscountFen!: number;

  @Field(() => Int, { description: 'Sum of orderAmountFen over COMPLETED redemptions in the month.' })
  completedOrderAmountFen!: number;

  @Field(() => Int, { description: 'CANCELLED redemptions in the month.' })
  cancelledCount!: number;

  @Field(() => Int, { description: 'Rows of csv after the header row: completedCount + cancelledCount.' })
  rowCount!: number;

  @Field({ description: 'SHA-256 (lowercase hex) of the UTF-8 bytes of csv, BOM included: of the file as saved, for finance to check.' })
  sha256!: string;

  @Field({
    description:
      'RFC 4180 CSV (UTF-8 with a byte order mark, CRLF; text a spreadsheet would run as a formula is prefixed with an apostrophe) with a header row: redemption_id, redeemed_at (Asia/Shanghai), partner_order_id, voucher_code (masked), batch_id, batch_name, voucher_kind, order_amount_fen, discount_fen, status, cancelled_at.',
  })
  csv!: string;
}
