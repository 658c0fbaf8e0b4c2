import type { VerificationFacts } from '@union/common';
import { type BenefitContext, processShared } from '../../context';

/**
 * Verifications live in the member subgraph; benefit asks for one at quote and apply time, which
 * also re-reads the member's status and union chain (a suspension after the scan counts).
 */
export function fetchVerification(ctx: BenefitContext, verificationId: string): Promise<VerificationFacts | null> {
  return processShared(ctx.config).memberDirectory.call('verification', { id: verificationId }, ctx.requestId);
}
