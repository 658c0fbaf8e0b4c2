import { isUuid } from '@union/common';
import type { PointsContext } from '../../context';
import type { RewardEntity } from './reward.entity';

/** The points mall's catalog is public to every authenticated caller. */
export function resolveRewardReference(reference: { id: string }, ctx: PointsContext): Promise<RewardEntity | null> | null {
  return isUuid(reference.id) ? ctx.loaders.rewardById.load(reference.id) : null;
}
