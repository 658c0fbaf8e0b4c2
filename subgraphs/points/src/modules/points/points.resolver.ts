import { RequireScopes } from '@union/common';
import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { PointsContext } from '../../context';
import type { PointsTransactionEntity } from './points.entity';
import { AwardPointsInput } from './points.inputs';
import { awardPoints } from './points.service';
import { PointsTransaction } from './points.types';

@Resolver(() => PointsTransaction)
export class PointsResolver {
  @Mutation(() => PointsTransaction, { description: 'UNION (own subtree) or PLATFORM with points:award.' })
  @RequireScopes(['points:award'])
  awardPoints(
    @Arg('input', () => AwardPointsInput, { description: 'The award.' }) input: AwardPointsInput,
    @Ctx() ctx: PointsContext,
  ): Promise<PointsTransactionEntity> {
    return awardPoints(ctx, input);
  }
}
