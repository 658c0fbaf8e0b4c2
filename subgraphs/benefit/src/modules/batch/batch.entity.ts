import { Column, Entity, PrimaryColumn } from 'typeorm';

export type VoucherKind = 'RIDE' | 'HOTEL' | 'FLIGHT' | 'MOVIE' | 'SWIMMING' | 'RECUPERATION' | 'MEAL' | 'HEALTH_CHECK' | 'FITNESS' | 'GENERAL';

/**
 * A limited pool of vouchers under a program. `claimed` is not a column: it is the sum of the
 * pool's striped counters (voucher_batch_stripes), which only move through guarded writes.
 */
@Entity({ name: 'voucher_batches' })
export class VoucherBatchEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'program_id', type: 'uuid' }) programId!: string;
  @Column('text') name!: string;
  @Column({ name: 'voucher_kind', type: 'text' }) voucherKind!: VoucherKind;
  @Column({ name: 'face_value_fen', type: 'int' }) faceValueFen!: number;
  @Column({ name: 'min_spend_fen', type: 'int' }) minSpendFen!: number;
  @Column({ name: 'total_quantity', type: 'int' }) totalQuantity!: number;
  claimed!: number;
  @Column({ name: 'per_member_limit', type: 'int' }) perMemberLimit!: number;
  @Column({ name: 'claim_starts_at', type: 'timestamptz' }) claimStartsAt!: Date;
  @Column({ name: 'claim_ends_at', type: 'timestamptz' }) claimEndsAt!: Date;
  /** Vouchers are redeemable from validFrom to validTo; with validDaysAfterClaim, for that many days from the claim, never past validTo. */
  @Column({ name: 'valid_from', type: 'timestamptz' }) validFrom!: Date;
  @Column({ name: 'valid_to', type: 'timestamptz' }) validTo!: Date;
  @Column({ name: 'valid_days_after_claim', type: 'int', nullable: true }) validDaysAfterClaim!: number | null;
  @Column({ name: 'real_name_verified_only', type: 'boolean' }) realNameVerifiedOnly!: boolean;
  @Column({ name: 'created_by_partner_id', type: 'uuid', nullable: true }) createdByPartnerId!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false }) createdAt!: Date;
}

export function batchFromRow(row: Record<string, unknown>): VoucherBatchEntity {
  return Object.assign(new VoucherBatchEntity(), {
    id: row.id,
    programId: row.program_id,
    name: row.name,
    voucherKind: row.voucher_kind,
    faceValueFen: Number(row.face_value_fen),
    minSpendFen: Number(row.min_spend_fen),
    totalQuantity: Number(row.total_quantity),
    claimed: Number(row.claimed),
    perMemberLimit: Number(row.per_member_limit),
    claimStartsAt: row.claim_starts_at,
    claimEndsAt: row.claim_ends_at,
    validFrom: row.valid_from,
    validTo: row.valid_to,
    validDaysAfterClaim: row.valid_days_after_claim === null ? null : Number(row.valid_days_after_claim),
    realNameVerifiedOnly: row.real_name_verified_only,
    createdByPartnerId: row.created_by_partner_id,
    createdAt: row.created_at,
  });
}

/** The validity window of a voucher issued from `batch` at `issuedAt`. */
export function voucherValidity(batch: VoucherBatchEntity, issuedAt: Date): { validFrom: Date; validTo: Date } {
  if (batch.validDaysAfterClaim === null) return { validFrom: batch.validFrom, validTo: batch.validTo };
  const validFrom = new Date(Math.max(batch.validFrom.getTime(), issuedAt.getTime()));
  const validTo = new Date(Math.min(validFrom.getTime() + batch.validDaysAfterClaim * 86_400_000, batch.validTo.getTime()));
  return { validFrom, validTo };
}
