import { InternalClient, type MemberFacts } from '@union/common';
import type { BenefitContext } from '../../context';

/** The member subgraph's answer on POST /internal/verification (see member's verification.route.ts). */
export interface VerificationFacts {
  id: string;
  partnerId: string;
  purpose: 'HOSPITAL_DISCOUNT' | 'VOUCHER_REDEMPTION' | 'IDENTITY_CHECK';
  method: 'CARD_TOKEN' | 'CARD_NUMBER';
  /** ISO instant. */
  expiresAt: string;
  /** The member's facts at the time of this call, not of the scan. */
  member: MemberFacts;
}

/**
 * Verifications live in the member subgraph; benefit asks for one at quote and apply time, which
 * also re-reads the member's status and union chain (a suspension after the scan counts).
 */
export function fetchVerification(ctx: BenefitContext, verificationId: string): Promise<VerificationFacts | null> {
  const client = new InternalClient(ctx.config.memberSubgraphUrl, 'benefit', ctx.config.internalSecret);
  return client.call<VerificationFacts | null>('verification', { id: verificationId });
}
