import { Field, InputType, Int } from 'type-graphql';

@InputType({ description: 'A voucher presented at checkout.' })
export class RedeemVoucherInput {
  @Field({ description: 'The code as the member shows or tells it; case, spaces and dashes do not matter.' })
  code!: string;

  @Field({
    description: 'Unique per partner: re-sending it returns the original redemption; with a different code or amount it fails with IDEMPOTENCY_CONFLICT.',
  })
  partnerOrderId!: string;

  @Field(() => Int, { description: 'Order amount in fen, > 0.' })
  orderAmountFen!: number;
}
