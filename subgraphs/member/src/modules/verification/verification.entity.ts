import { Column, Entity, PrimaryColumn } from 'typeorm';

export type VerificationPurposeValue = 'HOSPITAL_DISCOUNT' | 'VOUCHER_REDEMPTION' | 'IDENTITY_CHECK';
export type VerificationMethod = 'CARD_TOKEN' | 'CARD_NUMBER';

/** A partner's successful check of a member card, usable by that partner for one purpose until it expires. */
@Entity({ name: 'member_verifications' })
export class MemberVerificationEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'member_id', type: 'uuid' }) memberId!: string;
  /** The partner that verified; only it may use the verification. */
  @Column({ name: 'partner_id', type: 'uuid' }) partnerId!: string;
  @Column('text') purpose!: VerificationPurposeValue;
  @Column('text') method!: VerificationMethod;
  /** SHA-256 of the card code (CARD_TOKEN only): one code, one verifying partner. */
  @Column({ name: 'token_digest', type: 'bytea', nullable: true, select: false }) tokenDigest!: Buffer | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
}

export function verificationFromRow(row: Record<string, unknown>): MemberVerificationEntity {
  return Object.assign(new MemberVerificationEntity(), {
    id: row.id,
    memberId: row.member_id,
    partnerId: row.partner_id,
    purpose: row.purpose,
    method: row.method,
    tokenDigest: null,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  });
}
