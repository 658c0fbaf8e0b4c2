import { Column, Entity, PrimaryColumn } from 'typeorm';

export type PointsTransactionKind = 'EARN' | 'SPEND' | 'EXPIRE' | 'REVERSAL';
export type PointsRule = 'READ_ARTICLE' | 'DAILY_SIGN_IN' | 'REAL_NAME_VERIFIED' | 'ACTIVITY';

@Entity({ name: 'points_accounts' })
export class PointsAccountEntity {
  @PrimaryColumn({ name: 'member_id', type: 'uuid' }) memberId!: string;
  @Column({ type: 'bigint' }) balance!: string;
  @Column({ name: 'lifetime_earned', type: 'bigint' }) lifetimeEarned!: string;
}

@Entity({ name: 'points_transactions' })
export class PointsTransactionEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'member_id', type: 'uuid' }) memberId!: string;
  @Column('text') kind!: PointsTransactionKind;
  @Column({ type: 'bigint' }) amount!: string;
  @Column({ name: 'balance_after', type: 'bigint' }) balanceAfter!: string;
  @Column({ type: 'text', nullable: true }) rule!: PointsRule | null;
  @Column({ name: 'source_ref', type: 'text', nullable: true }) sourceRef!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  /** Order of writing; a member's lines are ordered by it (several lines can share one instant). */
  @Column({ type: 'bigint', insert: false, update: false }) seq!: string;
}
