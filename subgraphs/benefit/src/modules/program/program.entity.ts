import { Column, Entity, PrimaryColumn } from 'typeorm';

export type BenefitKind = 'HOSPITAL_DISCOUNT' | 'TRAVEL_CARD' | 'WELFARE_VOUCHER';

@Entity({ name: 'benefit_programs' })
export class BenefitProgramEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') name!: string;
  @Column('text') kind!: BenefitKind;
  /** The union that funds the program; members of its subtree are eligible. */
  @Column({ name: 'sponsor_organization_id', type: 'uuid' }) sponsorOrganizationId!: string;
  @Column({ name: 'valid_from', type: 'timestamptz' }) validFrom!: Date;
  @Column({ name: 'valid_to', type: 'timestamptz' }) validTo!: Date;
  @Column({ name: 'created_by_partner_id', type: 'uuid', nullable: true }) createdByPartnerId!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false }) createdAt!: Date;
}
