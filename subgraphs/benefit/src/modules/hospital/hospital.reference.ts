import { isUuid } from '@union/common';
import type { BenefitContext } from '../../context';
import type { DiscountClaimEntity } from './hospital.entity';
import { canSeeClaim } from './hospital.reconcile';

/**
 * DiscountClaim references: type-graphql's authorization does not run here, so the same rule as
 * discountClaims applies explicitly (the hospital that made it, the sponsoring union's subtree).
 */
export async function resolveDiscountClaimReference(reference: { id: string }, ctx: BenefitContext): Promise<DiscountClaimEntity | null> {
  if (!isUuid(reference.id)) return null;
  const claim = await ctx.loaders.claimById.load(reference.id);
  return claim && (await canSeeClaim(ctx, claim)) ? claim : null;
}
