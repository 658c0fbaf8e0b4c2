import { Column, Entity, PrimaryColumn } from 'typeorm';

export type MembershipStatus = 'ACTIVE' | 'SUSPENDED' | 'TRANSFERRED_OUT' | 'LAPSED';

@Entity({ name: 'members' })
export class MemberEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'organization_id', type: 'uuid' }) organizationId!: string;
  /** Copy of the organization's materialized path, for subtree range scans. */
  @Column({ name: 'org_path', type: 'text' }) orgPath!: string;
  @Column({ name: 'full_name', type: 'text' }) fullName!: string;
  /** HMAC of the resident ID number: uniqueness and lookup without keeping the number. */
  @Column({ name: 'id_number_hash', type: 'bytea', select: false }) idNumberHash!: Buffer;
  @Column({ name: 'id_number_last4', type: 'char', length: 4 }) idNumberLast4!: string;
  @Column('text') phone!: string;
  @Column({ name: 'card_number', type: 'text' }) cardNumber!: string;
  @Column('text') status!: MembershipStatus;
  @Column({ name: 'real_name_verified', type: 'boolean' }) realNameVerified!: boolean;
  @Column({ name: 'new_employment_form', type: 'boolean' }) newEmploymentForm!: boolean;
  @Column({ name: 'joined_at', type: 'timestamptz' }) joinedAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
