import { RequireScopes } from '@union/common';
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { BenefitContext } from '../../context';
import type { BenefitProgramEntity } from '../program/program.entity';
import { BenefitProgram } from '../program/program.types';
import type { VoucherBatchEntity } from './batch.entity';
import { CreateVoucherBatchInput } from './batch.inputs';
import { createVoucherBatch, loadBatch, redeemablePartnerIds } from './batch.service';
import { VoucherBatch } from './batch.types';

/** Batches are offers, not personal data: every kind of caller may read one it knows the id of. */
export const BATCH_READ_SCOPES = [['member:self'], ['voucher:redeem'], ['benefit:manage'], ['voucher:grant'], ['reconcile:read']];

@Resolver(() => VoucherBatch)
export class BatchResolver {
  @Query(() => VoucherBatch, { nullable: true, description: 'A voucher batch with its remaining quantity; null when unknown.' })
  @RequireScopes(...BATCH_READ_SCOPES)
  voucherBatch(@Arg('id', () => ID, { description: 'Batch id.' }) id: string, @Ctx() ctx: BenefitContext): Promise<VoucherBatchEntity | null> {
    return loadBatch(ctx, id);
  }

  @Mutation(() => VoucherBatch, { description: 'UNION with benefit:manage: a new batch under a TRAVEL_CARD or WELFARE_VOUCHER program its subtree sponsors.' })
  @RequireScopes(['benefit:manage'])
  createVoucherBatch(
    @Arg('input', () => CreateVoucherBatchInput, { description: 'The batch.' }) input: CreateVoucherBatchInput,
    @Ctx() ctx: BenefitContext,
  ): Promise<VoucherBatchEntity> {
    return createVoucherBatch(ctx, input);
  }

  @FieldResolver(() => BenefitProgram, { description: 'The program the batch belongs to.' })
  async program(@Root() batch: VoucherBatchEntity, @Ctx() ctx: BenefitContext): Promise<BenefitProgramEntity> {
    const program = await ctx.loaders.programById.load(batch.programId);
    if (!program) throw new Error(`batch ${batch.id} refers to missing program ${batch.programId}`);
    return program;
  }

  @FieldResolver(() => Int, { description: 'Vouchers still available to claim or grant: totalQuantity minus those issued.' })
  remainingQuantity(@Root() batch: VoucherBatchEntity): number {
    return batch.totalQuantity - batch.claimed;
  }

  @FieldResolver(() => [ID], { description: 'TRAVEL_PARTNER / MERCHANT partner ids allowed to redeem these vouchers.' })
  redeemablePartnerIds(@Root() batch: VoucherBatchEntity, @Ctx() ctx: BenefitContext): Promise<string[]> {
    return redeemablePartnerIds(ctx, batch.id);
  }
}
