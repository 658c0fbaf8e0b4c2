import { RequireScopes } from '@union/common';
import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { BenefitContext } from '../../context';
import type { VoucherBatchEntity } from '../batch/batch.entity';
import { VoucherBatch } from '../batch/batch.types';
import { MemberBenefits } from '../member/member.types';
import type { RedemptionEntity } from '../redemption/redemption.entity';
import { Redemption } from '../redemption/redemption.types';
import { maskVoucherCode } from './voucher.code';
import { effectiveVoucherStatus, type VoucherEntity, type VoucherStatus as Status } from './voucher.entity';
import { claimVoucher, grantVouchers, type GrantOutcome, maySeeFullCode } from './voucher.service';
import { GrantResult, Voucher, VoucherStatus } from './voucher.types';
import { IDEMPOTENCY_KEY_MAX_LENGTH } from '../idempotency/idempotency.store';

@Resolver(() => Voucher)
export class VoucherResolver {
  @Mutation(() => Voucher, {
    description:
      'MEMBER: first come first served; never more vouchers than totalQuantity, never more than perMemberLimit per member. Re-sending the same idempotencyKey (per member, kept at least 24 hours) returns the first answer, the voucher or the error, instead of claiming again.',
  })
  @RequireScopes(['member:self'])
  claimVoucher(
    @Arg('batchId', () => ID, { description: 'The batch to claim from.' }) batchId: string,
    @Arg('idempotencyKey', () => String, {
      nullable: true,
      description: `Any string of 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} printable characters the member's app chooses per claim (a UUID is fine), so a claim whose answer was lost can be sent again. The same key with another batch is IDEMPOTENCY_CONFLICT.`,
    })
    idempotencyKey: string | null | undefined,
    @Ctx() ctx: BenefitContext,
  ): Promise<VoucherEntity> {
    return claimVoucher(ctx, batchId, idempotencyKey);
  }

  @Mutation(() => GrantResult, {
    description:
      'UNION with voucher:grant, to members of its own subtree (1 to 1000 ids), from a batch its subtree sponsors. Re-sending the same idempotencyKey (per union) with the same batch and members returns the first result; with others it fails with IDEMPOTENCY_CONFLICT.',
  })
  @RequireScopes(['voucher:grant'])
  grantVouchers(
    @Arg('batchId', () => ID, { description: 'The batch to grant from.' }) batchId: string,
    @Arg('memberIds', () => [ID], { description: 'Members of your subtree, 1 to 1000.' }) memberIds: string[],
    @Arg('idempotencyKey', () => String, {
      nullable: true,
      description: `Any string of 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} printable characters chosen per grant, kept at least 24 hours: a retry with it returns the first result instead of granting again.`,
    })
    idempotencyKey: string | null | undefined,
    @Ctx() ctx: BenefitContext,
  ): Promise<GrantOutcome> {
    return grantVouchers(ctx, batchId, memberIds, idempotencyKey);
  }

  @FieldResolver(() => VoucherStatus, { description: 'Status; an ISSUED voucher past validTo reads as EXPIRED.' })
  status(@Root() voucher: VoucherEntity): Status {
    return effectiveVoucherStatus(voucher);
  }

  @FieldResolver(() => String, {
    description: 'The bearer code a travel partner or merchant redeems. Shown in full only to its owner and to redeeming partners.',
  })
  async code(@Root() voucher: VoucherEntity, @Ctx() ctx: BenefitContext): Promise<string> {
    return (await maySeeFullCode(ctx, voucher)) ? voucher.code : maskVoucherCode(voucher.code);
  }

  @FieldResolver(() => VoucherBatch, { description: 'The batch the voucher was issued from.' })
  async batch(@Root() voucher: VoucherEntity, @Ctx() ctx: BenefitContext): Promise<VoucherBatchEntity> {
    const batch = await ctx.loaders.batchById.load(voucher.batchId);
    if (!batch) throw new Error(`voucher ${voucher.id} refers to missing batch ${voucher.batchId}`);
    return batch;
  }

  @FieldResolver(() => MemberBenefits, { description: 'The member who holds it.' })
  owner(@Root() voucher: VoucherEntity): MemberBenefits {
    return { id: voucher.memberId };
  }

  @FieldResolver(() => Redemption, {
    nullable: true,
    description: 'The COMPLETED redemption; null unless REDEEMED (cancelled ones are listed by redemptions).',
  })
  async redemption(@Root() voucher: VoucherEntity, @Ctx() ctx: BenefitContext): Promise<RedemptionEntity | null> {
    const redemption = await ctx.loaders.completedRedemptionByVoucher.load(voucher.id);
    // Another partner's order ids are that partner's business.
    const { kind, id } = ctx.principal;
    if (redemption && (kind === 'TRAVEL_PARTNER' || kind === 'MERCHANT') && redemption.partnerId !== id) return null;
    return redemption;
  }
}
