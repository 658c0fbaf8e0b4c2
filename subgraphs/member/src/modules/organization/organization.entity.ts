import { Column, Entity, PrimaryColumn } from 'typeorm';

export type OrganizationKind = 'FEDERATION' | 'INDUSTRY_FEDERATION' | 'REGIONAL' | 'ENTERPRISE';

@Entity({ name: 'organizations' })
export class OrganizationEntity {
  @PrimaryColumn('uuid') id!: string;
  /** Small number that stands for the organization inside materialized paths. */
  @Column({ name: 'node_no', type: 'bigint', insert: false, update: false }) nodeNo!: string;
  @Column({ name: 'parent_id', type: 'uuid', nullable: true }) parentId!: string | null;
  @Column('text') name!: string;
  @Column('text') kind!: OrganizationKind;
  /** '/1/5/23/': node numbers from the root down to this organization. */
  @Column('text') path!: string;
  @Column('int') depth!: number;
  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false }) createdAt!: Date;
}

@Entity({ name: 'organization_stats' })
export class OrganizationStatsEntity {
  @PrimaryColumn({ name: 'organization_id', type: 'uuid' }) organizationId!: string;
  @Column({ name: 'member_count', type: 'bigint' }) memberCount!: string;
  @Column({ name: 'active_count', type: 'bigint' }) activeCount!: string;
  @Column({ name: 'verified_count', type: 'bigint' }) verifiedCount!: string;
  @Column({ name: 'new_employment_form_count', type: 'bigint' }) newEmploymentFormCount!: string;
}

/** The node numbers on a path, root first: '/1/5/23/' -> ['1', '5', '23']. */
export const pathNodes = (path: string): string[] => path.split('/').filter(Boolean);
