import { InternalClient, type VerificationFacts } from '@union/common';
import type { BenefitContext } from '../../context';

/**
 * Verifications live in the member subgraph; benefit asks for one at quote and apply time, which
 * also re-reads the member's status and union chain (a suspension after the scan counts).
 */
export function fetchVerification(ctx: BenefitContext, verificationId: string): Promise<VerificationFacts | null> {
  const client = new InternalClient(ctx.config.memberSubgraphUrl, 'benefit', ctx.config.internalSecret, ctx.requestId);
  return client.call<VerificationFacts | null>('verification', { id: verificationId });
}
