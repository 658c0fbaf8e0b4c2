import { PageInfo } from '@union/common';
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { DiscountClaimStatus as Status } from './hospital.entity';

export enum DiscountClaimStatus {
  APPLIED = 'APPLIED',
  VOIDED = 'VOIDED',
}
registerEnumType(DiscountClaimStatus, {
  name: 'DiscountClaimStatus',
  description: 'Where a hospital discount claim stands.',
  valuesConfig: {
    APPLIED: { description: 'The discount was given; it counts against the annual cap and is settled with the sponsoring union.' },
    VOIDED: { description: 'Withdrawn by the hospital (e.g. the insurance settlement was revoked); the annual cap was given back.' },
  },
});

@ObjectType({ description: "A hospital's discount on the member's self-paid part after medical insurance (医保报销后自费部分)." })
export class HospitalDiscountPolicy {
  @Field(() => ID, { description: 'Policy id.' })
  id!: string;

  @Field(() => ID, { description: 'The HOSPITAL partner that applies this policy.' })
  hospitalPartnerId!: string;

  @Field({ description: 'Hospital name as printed on statements, e.g. 聊城市人民医院.' })
  hospitalName!: string;

  @Field(() => Int, { description: '1000 = 10.00%' })
  rateBasisPoints!: number;

  @Field(() => Int, { description: 'Largest discount on one claim, in fen.' })
  perClaimCapFen!: number;

  @Field(() => Int, { description: 'Per member per calendar year (Asia/Shanghai), across all claims under this program.' })
  annualCapFen!: number;

  @Field(() => Date, { description: 'First instant claims may be made under this policy (also bounded by the program window).' })
  validFrom!: Date;

  @Field(() => Date, { description: 'End of the policy (exclusive; also bounded by the program window).' })
  validTo!: Date;

  @Field(() => Date, { nullable: true, description: 'When the sponsoring union closed the policy; no claims after that. Null while open.' })
  closedAt!: Date | null;
}

@ObjectType({ description: 'What applyHospitalDiscount would give now, without writing anything.' })
export class DiscountQuote {
  @Field(() => HospitalDiscountPolicy, { description: 'The policy that would apply.' })
  policy!: HospitalDiscountPolicy;

  @Field(() => Int, { description: 'The self-paid part of the bill after medical insurance, in fen.' })
  selfPaidFen!: number;

  @Field(() => Int, { description: 'min(floor(selfPaid x rate), perClaimCap, remaining annual cap), in fen; 0 when the annual cap is used up.' })
  discountFen!: number;

  @Field(() => Int, { description: 'What the member pays: selfPaidFen - discountFen.' })
  payableFen!: number;

  @Field(() => Int, { description: "The member's annual cap under this program left after this discount, in fen." })
  remainingAnnualCapFen!: number;
}

@ObjectType({ description: 'A discount a hospital applied to one invoice.' })
@Directive('@key(fields: "id")')
export class DiscountClaim {
  @Field(() => ID, { description: 'Claim id.' })
  id!: string;

  @Field({ description: "The hospital's invoice number; unique per hospital (the idempotency key)." })
  invoiceNumber!: string;

  @Field(() => Int, { description: 'The self-paid part of the bill after medical insurance, in fen.' })
  selfPaidFen!: number;

  @Field(() => Int, { description: 'Discount given, in fen.' })
  discountFen!: number;

  @Field(() => Int, { description: 'What the member paid: selfPaidFen - discountFen.' })
  payableFen!: number;

  @Field(() => DiscountClaimStatus, { description: 'APPLIED, or VOIDED by the hospital.' })
  status!: Status;

  @Field(() => Date, { description: 'When the discount was applied.' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the hospital voided it; null while APPLIED.' })
  voidedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'The reason the hospital gave when voiding; null while APPLIED.' })
  voidReason!: string | null;
}

@ObjectType({ description: 'Sums over every claim of the requested period (not only this page).' })
export class DiscountClaimTotals {
  @Field(() => Int, { description: 'Number of APPLIED claims.' })
  appliedCount!: number;

  @Field(() => Int, { description: 'Sum of selfPaidFen of APPLIED claims.' })
  selfPaidFen!: number;

  @Field(() => Int, { description: 'Sum of discountFen of APPLIED claims: what the sponsoring unions owe the hospitals.' })
  discountFen!: number;

  @Field(() => Int, { description: 'Sum of payableFen of APPLIED claims.' })
  payableFen!: number;

  @Field(() => Int, { description: 'Number of VOIDED claims (their amounts are in none of the sums).' })
  voidedCount!: number;
}

@ObjectType({ description: 'A page of discount claims, oldest first.' })
export class DiscountClaimConnection {
  @Field(() => [DiscountClaim], { description: 'The claims of this page.' })
  nodes!: DiscountClaim[];

  @Field(() => PageInfo, { description: 'Where this page ends.' })
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'Number of claims (APPLIED and VOIDED) in the whole period.' })
  totalCount!: number;

  @Field(() => DiscountClaimTotals, { description: 'Sums over the whole period, for reconciliation.' })
  totals!: DiscountClaimTotals;
}

@ObjectType({ description: "One hospital's monthly settlement with the sponsoring union (Asia/Shanghai calendar month), as CSV with its totals and checksum." })
export class HospitalSettlement {
  @Field({ description: 'The month, YYYY-MM (Asia/Shanghai).' })
  month!: string;

  @Field(() => ID, { description: 'The hospital partner.' })
  hospitalPartnerId!: string;

  @Field({ description: 'Hospital name as printed on the statement.' })
  hospitalName!: string;

  @Field(() => ID, { nullable: true, description: 'The program the statement is limited to; null for all programs visible to the caller.' })
  programId!: string | null;

  @Field(() => Int, { description: 'APPLIED claims in the month (CLAIM lines of csv).' })
  claimCount!: number;

  @Field(() => Int, { description: 'Sum of selfPaidFen of those claims.' })
  selfPaidFen!: number;

  @Field(() => Int, { description: 'Sum of discountFen of those claims: what the sponsoring union owes the hospital.' })
  discountFen!: number;

  @Field(() => Int, { description: 'Sum of payableFen of those claims: what the members paid.' })
  payableFen!: number;

  @Field(() => Int, { description: 'Rows of csv after the header row: claimCount CLAIM lines plus the TOTAL line.' })
  rowCount!: number;

  @Field({ description: 'SHA-256 (lowercase hex) of the UTF-8 bytes of csv, BOM included: of the file as saved, for finance to check.' })
  sha256!: string;

  @Field({
    description:
      'RFC 4180 CSV (UTF-8 with a byte order mark, CRLF; text a spreadsheet would run as a formula is prefixed with an apostrophe), the same text as hospitalSettlementStatement: a header row, a CLAIM line per APPLIED claim, a TOTAL line. Columns: record_type, claim_id, applied_at_shanghai, hospital_partner_id, hospital_name, program_id, program_name, invoice_number, member_id, claim_count, self_paid_fen, rate_basis_points, discount_fen, payable_fen.',
  })
  csv!: string;
}
