import type { BenefitContext } from '../../context';
import type { RedemptionEntity } from './redemption.entity';
import { loadRedemption } from './redemption.service';

/** type-graphql's authorization does not run here: loadRedemption applies canReadRedemption itself. */
export function resolveRedemptionReference(reference: { id: string }, ctx: BenefitContext): Promise<RedemptionEntity | null> {
  return loadRedemption(ctx, reference.id);
}
