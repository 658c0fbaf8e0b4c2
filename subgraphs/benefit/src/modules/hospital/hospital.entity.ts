import { Column, Entity, PrimaryColumn } from 'typeorm';

export type DiscountClaimStatus = 'APPLIED' | 'VOIDED';

/** A hospital's terms inside a HOSPITAL_DISCOUNT program. */
@Entity({ name: 'hospital_discount_policies' })
export class HospitalDiscountPolicyEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'program_id', type: 'uuid' }) programId!: string;
  /** The HOSPITAL partner (registered in the gateway) that applies this policy. */
  @Column({ name: 'hospital_partner_id', type: 'uuid' }) hospitalPartnerId!: string;
  @Column({ name: 'hospital_name', type: 'text' }) hospitalName!: string;
  @Column({ name: 'rate_basis_points', type: 'int' }) rateBasisPoints!: number;
  @Column({ name: 'per_claim_cap_fen', type: 'bigint' }) perClaimCapFen!: number;
  @Column({ name: 'annual_cap_fen', type: 'bigint' }) annualCapFen!: number;
  @Column({ name: 'valid_from', type: 'timestamptz' }) validFrom!: Date;
  @Column({ name: 'valid_to', type: 'timestamptz' }) validTo!: Date;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true }) closedAt!: Date | null;
}

/** A discount a hospital applied to one invoice of a verified member. */
@Entity({ name: 'discount_claims' })
export class DiscountClaimEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'hospital_partner_id', type: 'uuid' }) hospitalPartnerId!: string;
  @Column({ name: 'invoice_number', type: 'text' }) invoiceNumber!: string;
  @Column({ name: 'policy_id', type: 'uuid' }) policyId!: string;
  @Column({ name: 'program_id', type: 'uuid' }) programId!: string;
  @Column({ name: 'member_id', type: 'uuid' }) memberId!: string;
  @Column({ name: 'verification_id', type: 'uuid' }) verificationId!: string;
  /** The Asia/Shanghai year whose annual cap the discount counts against. */
  @Column({ name: 'usage_year', type: 'int' }) usageYear!: number;
  @Column({ name: 'rate_basis_points', type: 'int' }) rateBasisPoints!: number;
  @Column({ name: 'self_paid_fen', type: 'bigint' }) selfPaidFen!: number;
  @Column({ name: 'discount_fen', type: 'bigint' }) discountFen!: number;
  @Column({ name: 'payable_fen', type: 'bigint', insert: false, update: false }) payableFen!: number;
  @Column('text') status!: DiscountClaimStatus;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'voided_at', type: 'timestamptz', nullable: true }) voidedAt!: Date | null;
  @Column({ name: 'void_reason', type: 'text', nullable: true }) voidReason!: string | null;
  /** Keyset position, exact to the microsecond (created_at::text); not a column. */
  cursorKey?: string;
}

export function policyFromRow(row: Record<string, unknown>): HospitalDiscountPolicyEntity {
  return Object.assign(new HospitalDiscountPolicyEntity(), {
    id: row.id,
    programId: row.program_id,
    hospitalPartnerId: row.hospital_partner_id,
    hospitalName: row.hospital_name,
    rateBasisPoints: Number(row.rate_basis_points),
    perClaimCapFen: Number(row.per_claim_cap_fen),
    annualCapFen: Number(row.annual_cap_fen),
    validFrom: row.valid_from,
    validTo: row.valid_to,
    createdAt: row.created_at,
    closedAt: row.closed_at ?? null,
  });
}

export function claimFromRow(row: Record<string, unknown>): DiscountClaimEntity {
  return Object.assign(new DiscountClaimEntity(), {
    id: row.id,
    hospitalPartnerId: row.hospital_partner_id,
    invoiceNumber: row.invoice_number,
    policyId: row.policy_id,
    programId: row.program_id,
    memberId: row.member_id,
    verificationId: row.verification_id,
    usageYear: Number(row.usage_year),
    rateBasisPoints: Number(row.rate_basis_points),
    selfPaidFen: Number(row.self_paid_fen),
    discountFen: Number(row.discount_fen),
    payableFen: Number(row.payable_fen),
    status: row.status,
    createdAt: row.created_at,
    voidedAt: row.voided_at ?? null,
    voidReason: row.void_reason ?? null,
    cursorKey: (row.cursor_key as string | undefined) ?? undefined,
  });
}

export const POLICY_COLUMNS = `p.id, p.program_id, p.hospital_partner_id, p.hospital_name, p.rate_basis_points, p.per_claim_cap_fen,
  p.annual_cap_fen, p.valid_from, p.valid_to, p.created_at, p.closed_at`;

export const CLAIM_COLUMNS = `c.id, c.hospital_partner_id, c.invoice_number, c.policy_id, c.program_id, c.member_id, c.verification_id,
  c.usage_year, c.rate_basis_points, c.self_paid_fen, c.discount_fen, c.payable_fen, c.status, c.created_at, c.voided_at, c.void_reason`;
