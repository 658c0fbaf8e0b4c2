import { Column, Entity, PrimaryColumn } from 'typeorm';

export type RewardOrderStatus = 'PLACED' | 'CANCELLED';

@Entity({ name: 'rewards' })
export class RewardEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') name!: string;
  @Column({ name: 'points_cost', type: 'int' }) pointsCost!: number;
  @Column('int') stock!: number;
  @Column({ name: 'created_by', type: 'text', nullable: true }) createdBy!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false }) createdAt!: Date;
}

@Entity({ name: 'reward_orders' })
export class RewardOrderEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'member_id', type: 'uuid' }) memberId!: string;
  @Column({ name: 'reward_id', type: 'uuid' }) rewardId!: string;
  @Column('int') quantity!: number;
  @Column({ name: 'points_spent', type: 'int' }) pointsSpent!: number;
  @Column('text') status!: RewardOrderStatus;
  @Column({ name: 'spend_transaction_id', type: 'uuid' }) spendTransactionId!: string;
  @Column({ name: 'reversal_transaction_id', type: 'uuid', nullable: true }) reversalTransactionId!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true }) cancelledAt!: Date | null;
  @Column({ name: 'cancelled_by', type: 'text', nullable: true }) cancelledBy!: string | null;
}

export function rewardFromRow(row: Record<string, unknown>): RewardEntity {
  return Object.assign(new RewardEntity(), {
    id: row.id,
    name: row.name,
    pointsCost: Number(row.points_cost),
    stock: Number(row.stock),
    createdBy: row.created_by ?? null,
    createdAt: row.created_at,
  });
}

export function orderFromRow(row: Record<string, unknown>): RewardOrderEntity {
  return Object.assign(new RewardOrderEntity(), {
    id: row.id,
    memberId: row.member_id,
    rewardId: row.reward_id,
    quantity: Number(row.quantity),
    pointsSpent: Number(row.points_spent),
    status: row.status,
    spendTransactionId: row.spend_transaction_id,
    reversalTransactionId: row.reversal_transaction_id ?? null,
    createdAt: row.created_at,
    cancelledAt: row.cancelled_at ?? null,
    cancelledBy: row.cancelled_by ?? null,
  });
}
