import { Column, Entity, PrimaryColumn } from 'typeorm';

export type RedemptionStatus = 'COMPLETED' | 'CANCELLED';

/** A partner's use of a voucher on one of its orders; (partnerId, partnerOrderId) is the idempotency key. */
@Entity({ name: 'redemptions' })
export class RedemptionEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'voucher_id', type: 'uuid' }) voucherId!: string;
  @Column({ name: 'batch_id', type: 'uuid' }) batchId!: string;
  @Column({ name: 'program_id', type: 'uuid' }) programId!: string;
  @Column({ name: 'partner_id', type: 'uuid' }) partnerId!: string;
  @Column({ name: 'partner_order_id', type: 'text' }) partnerOrderId!: string;
  @Column({ name: 'order_amount_fen', type: 'int' }) orderAmountFen!: number;
  @Column({ name: 'discount_fen', type: 'int' }) discountFen!: number;
  @Column('text') status!: RedemptionStatus;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true }) cancelledAt!: Date | null;
  @Column({ name: 'cancel_reason', type: 'text', nullable: true }) cancelReason!: string | null;
}

export function redemptionFromRow(row: Record<string, unknown>): RedemptionEntity {
  return Object.assign(new RedemptionEntity(), {
    id: row.id,
    voucherId: row.voucher_id,
    batchId: row.batch_id,
    programId: row.program_id,
    partnerId: row.partner_id,
    partnerOrderId: row.partner_order_id,
    orderAmountFen: Number(row.order_amount_fen),
    discountFen: Number(row.discount_fen),
    status: row.status,
    createdAt: row.created_at,
    cancelledAt: row.cancelled_at ?? null,
    cancelReason: row.cancel_reason ?? null,
  });
}
