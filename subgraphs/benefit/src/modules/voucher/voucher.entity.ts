import { Column, Entity, PrimaryColumn } from 'typeorm';

export type VoucherStatus = 'ISSUED' | 'REDEEMED' | 'EXPIRED' | 'VOIDED';

@Entity({ name: 'vouchers' })
export class VoucherEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'batch_id', type: 'uuid' }) batchId!: string;
  @Column({ name: 'member_id', type: 'uuid' }) memberId!: string;
  /** Bearer code partners redeem: unguessable, human-typeable. */
  @Column('text') code!: string;
  /** Stored status; ISSUED past valid_to reads as EXPIRED (see effectiveVoucherStatus). */
  @Column('text') status!: VoucherStatus;
  @Column({ name: 'valid_from', type: 'timestamptz' }) validFrom!: Date;
  @Column({ name: 'valid_to', type: 'timestamptz' }) validTo!: Date;
  @Column({ name: 'issued_at', type: 'timestamptz' }) issuedAt!: Date;
}

export function voucherFromRow(row: Record<string, unknown>): VoucherEntity {
  return Object.assign(new VoucherEntity(), {
    id: row.id,
    batchId: row.batch_id,
    memberId: row.member_id,
    code: row.code,
    status: row.status,
    validFrom: row.valid_from,
    validTo: row.valid_to,
    issuedAt: row.issued_at,
  });
}

/** Expiry needs no batch job to be correct: an ISSUED voucher past its validTo is EXPIRED. */
export function effectiveVoucherStatus(voucher: Pick<VoucherEntity, 'status' | 'validTo'>, now = new Date()): VoucherStatus {
  return voucher.status === 'ISSUED' && voucher.validTo.getTime() <= now.getTime() ? 'EXPIRED' : voucher.status;
}
