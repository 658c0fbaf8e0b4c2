import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import type { MemberEntity } from '../member/member.entity';
import { Member } from '../member/member.types';

export enum VerificationPurpose {
  HOSPITAL_DISCOUNT = 'HOSPITAL_DISCOUNT',
  VOUCHER_REDEMPTION = 'VOUCHER_REDEMPTION',
  IDENTITY_CHECK = 'IDENTITY_CHECK',
}
registerEnumType(VerificationPurpose, {
  name: 'VerificationPurpose',
  description: 'What a partner checks a member card for. A verification can only be used for the purpose it was made for.',
  valuesConfig: {
    HOSPITAL_DISCOUNT: { description: 'A hospital discount on the self-paid part of a bill (quoteHospitalDiscount / applyHospitalDiscount).' },
    VOUCHER_REDEMPTION: { description: 'Redeeming a voucher the member presents.' },
    IDENTITY_CHECK: { description: 'Only confirming that the person is an active union member.' },
  },
});

export enum VerificationFailure {
  TOKEN_INVALID = 'TOKEN_INVALID',
  TOKEN_EXPIRED = 'TOKEN_EXPIRED',
  TOKEN_ALREADY_USED = 'TOKEN_ALREADY_USED',
  CARD_NOT_FOUND = 'CARD_NOT_FOUND',
  NAME_MISMATCH = 'NAME_MISMATCH',
  MEMBER_NOT_ACTIVE = 'MEMBER_NOT_ACTIVE',
  CARD_LOCKED = 'CARD_LOCKED',
}
registerEnumType(VerificationFailure, {
  name: 'VerificationFailure',
  description: 'Why a card verification found the card invalid.',
  valuesConfig: {
    TOKEN_INVALID: { description: 'Not a code this platform issued (mistyped, altered or forged).' },
    TOKEN_EXPIRED: { description: 'The code is older than its 60 seconds; ask the member to refresh the e-card.' },
    TOKEN_ALREADY_USED: { description: 'The token was already verified by another partner.' },
    CARD_NOT_FOUND: { description: 'No member card with this number.' },
    NAME_MISMATCH: { description: 'Card number found but the name given does not match.' },
    MEMBER_NOT_ACTIVE: { description: 'The membership is suspended, transferred out or lapsed.' },
    CARD_LOCKED: {
      description:
        'Paper card only: 5 wrong names for this card within the last hour; the card number cannot be checked by name until the hour has passed (the e-card still works).',
    },
  },
});

@ObjectType({ description: 'A short-lived, rotating code that the member app shows as a QR code (电子会员证).' })
export class MemberCardToken {
  @Field({ description: 'The code to render as a QR code. Opaque, signed, carries no readable personal data; single-partner use.' })
  token!: string;

  @Field(() => Date, { description: 'The code stops verifying at this instant (60 seconds after issue); the app should fetch a new one before.' })
  expiresAt!: Date;
}

@ObjectType({
  description: 'The outcome of a partner scanning a member card. Verifying the same token twice as the same partner returns the same verification.',
})
export class MemberVerification {
  @Field({ description: 'True when the card belongs to an ACTIVE member and the verification can be used.' })
  valid!: boolean;

  @Field(() => VerificationFailure, { nullable: true, description: 'Why the card was found invalid; null when valid.' })
  reason!: VerificationFailure | null;

  @Field(() => ID, {
    nullable: true,
    description: 'Present when valid. Pass it to the benefit operations; it expires (see expiresAt) and is bound to the verifying partner and purpose.',
  })
  verificationId!: string | null;

  @Field(() => VerificationPurpose, { description: 'The purpose the verification was asked for.' })
  purpose!: VerificationPurpose;

  @Field(() => Date, { nullable: true, description: 'Present when valid: the verificationId cannot be used after this instant.' })
  expiresAt!: Date | null;

  @Field(() => Member, { nullable: true, description: 'Present when valid: the member, with masked personal data only.' })
  member!: MemberEntity | null;
}
