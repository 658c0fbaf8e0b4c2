import { Field, ID, InputType, Int } from 'type-graphql';

@InputType({ description: "A hospital policy inside a HOSPITAL_DISCOUNT program sponsored in the caller's subtree." })
export class CreateHospitalDiscountPolicyInput {
  @Field(() => ID, { description: "A HOSPITAL_DISCOUNT program sponsored by an organization of the caller's subtree." })
  programId!: string;

  @Field(() => ID, { description: "A HOSPITAL partner's id." })
  hospitalPartnerId!: string;

  @Field(() => Int, { description: 'Discount rate in basis points, 1..10000 (1000 = 10.00%).' })
  rateBasisPoints!: number;

  @Field(() => Int, { description: 'Largest discount on one claim, in fen (1 .. 1,000,000,000).' })
  perClaimCapFen!: number;

  @Field(() => Int, { description: 'Largest discount per member per calendar year (Asia/Shanghai) under the program, in fen (1 .. 1,000,000,000).' })
  annualCapFen!: number;

  @Field(() => String, {
    nullable: true,
    description: 'Hospital name for statements. Optional for hospitals this service already knows (the demo hospitals, or one with another policy).',
  })
  hospitalName?: string | null;

  @Field(() => Date, { nullable: true, description: "Start of the policy; defaults to the program's validFrom." })
  validFrom?: Date | null;

  @Field(() => Date, { nullable: true, description: "End of the policy (exclusive); defaults to the program's validTo." })
  validTo?: Date | null;
}

@InputType({ description: 'Changes to an open hospital policy; omitted fields stay. Claims already made keep their amounts.' })
export class UpdateHospitalDiscountPolicyInput {
  @Field(() => Int, { nullable: true, description: 'Discount rate in basis points, 1..10000.' })
  rateBasisPoints?: number | null;

  @Field(() => Int, { nullable: true, description: 'Largest discount on one claim, in fen.' })
  perClaimCapFen?: number | null;

  @Field(() => Int, { nullable: true, description: 'Largest discount per member per calendar year under the program, in fen.' })
  annualCapFen?: number | null;

  @Field(() => String, { nullable: true, description: 'Hospital name for statements.' })
  hospitalName?: string | null;

  @Field(() => Date, { nullable: true, description: 'Start of the policy.' })
  validFrom?: Date | null;

  @Field(() => Date, { nullable: true, description: 'End of the policy (exclusive).' })
  validTo?: Date | null;
}

@InputType({ description: 'A discount to apply at settlement (结算).' })
export class ApplyHospitalDiscountInput {
  @Field(() => ID, { description: 'From verifyMemberCard / verifyMemberByCardNumber with purpose HOSPITAL_DISCOUNT, made by the calling hospital.' })
  verificationId!: string;

  @Field(() => ID, {
    nullable: true,
    description: "Optional. Without it, the policy at this hospital of the member's nearest sponsoring organization applies (ties: the newest program).",
  })
  programId?: string | null;

  @Field({
    description:
      'Unique per hospital. Re-sending the same invoiceNumber with the same amount returns the original claim; with another amount it fails with IDEMPOTENCY_CONFLICT.',
  })
  invoiceNumber!: string;

  @Field(() => Int, { description: 'The self-paid part after medical insurance, in fen: 1 .. 1,000,000,000 (10 million yuan).' })
  selfPaidFen!: number;
}
