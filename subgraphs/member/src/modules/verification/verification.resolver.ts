import { RequireScopes } from '@union/common';
import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { MemberContext } from '../../context';
import { issueCardToken, verifyCardNumber, verifyCardToken } from './verification.service';
import { MemberCardToken, MemberVerification, VerificationPurpose } from './verification.types';

@Resolver(() => MemberVerification)
export class VerificationResolver {
  @Mutation(() => MemberCardToken, { description: 'MEMBER: a fresh rotating card code, valid for 60 seconds.' })
  @RequireScopes(['member:self'])
  issueMemberCardToken(@Ctx() ctx: MemberContext): Promise<MemberCardToken> {
    return issueCardToken(ctx);
  }

  @Mutation(() => MemberVerification, {
    description:
      'HOSPITAL / TRAVEL_PARTNER / MERCHANT with member:verify. The first partner to verify a code owns it; the same partner verifying it again for the same purpose gets the same verification back.',
  })
  @RequireScopes(['member:verify'])
  verifyMemberCard(
    @Arg('token', { description: 'The code read from the member app QR code.' }) token: string,
    @Arg('purpose', () => VerificationPurpose, { description: 'What the verification will be used for; it cannot be used for anything else.' })
    purpose: VerificationPurpose,
    @Ctx() ctx: MemberContext,
  ): Promise<MemberVerification> {
    return verifyCardToken(ctx, token, purpose);
  }

  @Mutation(() => MemberVerification, {
    description:
      'Paper card fallback (纸质会员证): card number plus the full name the member gives. Five wrong names for one card within an hour lock the card (CARD_LOCKED) for the rest of that hour.',
  })
  @RequireScopes(['member:verify'])
  verifyMemberByCardNumber(
    @Arg('cardNumber', { description: 'The card number printed on the paper card, e.g. GD202312345678.' }) cardNumber: string,
    @Arg('fullName', { description: 'The full name the member states (not read from the card).' }) fullName: string,
    @Arg('purpose', () => VerificationPurpose, { description: 'What the verification will be used for; it cannot be used for anything else.' })
    purpose: VerificationPurpose,
    @Ctx() ctx: MemberContext,
  ): Promise<MemberVerification> {
    return verifyCardNumber(ctx, cardNumber, fullName, purpose);
  }
}
