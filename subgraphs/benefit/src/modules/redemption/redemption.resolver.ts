import { RequireScopes } from '@union/common';
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { BenefitContext } from '../../context';
import type { VoucherEntity } from '../voucher/voucher.entity';
import { Voucher } from '../voucher/voucher.types';
import type { RedemptionEntity } from './redemption.entity';
import { RedeemVoucherInput } from './redemption.inputs';
import {
  cancelRedemption,
  listRedemptions,
  redeemVoucher,
  type RedemptionPage,
  type RedemptionSums,
  sumRedemptions,
  validateVoucher,
  type ValidationOutcome,
} from './redemption.service';
import { redemptionStatement, type StatementOutcome } from './redemption.statement';
import { Redemption, RedemptionConnection, RedemptionStatement, RedemptionTotals, VoucherValidation } from './redemption.types';

@Resolver(() => Redemption)
export class RedemptionResolver {
  @Mutation(() => VoucherValidation, { description: 'TRAVEL_PARTNER / MERCHANT: what redeemVoucher would do with this code and amount; writes nothing.' })
  @RequireScopes(['voucher:redeem'])
  validateVoucher(
    @Arg('code', { description: 'The code as the member shows it; case, spaces and dashes do not matter.' }) code: string,
    @Arg('orderAmountFen', () => Int, { description: 'Order amount in fen, > 0.' }) orderAmountFen: number,
    @Ctx() ctx: BenefitContext,
  ): Promise<ValidationOutcome> {
    return validateVoucher(ctx, code, orderAmountFen);
  }

  @Mutation(() => Redemption, {
    description:
      'TRAVEL_PARTNER / MERCHANT allowed for the batch: redeem a voucher on an order; discount = min(face value, order amount). Idempotent on (partner, partnerOrderId).',
  })
  @RequireScopes(['voucher:redeem'])
  redeemVoucher(
    @Arg('input', () => RedeemVoucherInput, { description: 'The code and the order.' }) input: RedeemVoucherInput,
    @Ctx() ctx: BenefitContext,
  ): Promise<RedemptionEntity> {
    return redeemVoucher(ctx, input);
  }

  @Mutation(() => Redemption, { description: 'Undo a redemption (order refunded). The voucher is ISSUED again if still within validTo.' })
  @RequireScopes(['voucher:redeem'])
  cancelRedemption(
    @Arg('partnerOrderId', { description: 'The order id the voucher was redeemed with (your own orders only).' }) partnerOrderId: string,
    @Arg('reason', { description: 'Why (1-500 characters), e.g. "order refunded".' }) reason: string,
    @Ctx() ctx: BenefitContext,
  ): Promise<RedemptionEntity> {
    return cancelRedemption(ctx, partnerOrderId, reason);
  }

  @Query(() => RedemptionConnection, { description: 'Partner reconciliation (own redemptions; a UNION those under programs it sponsors), oldest first.' })
  @RequireScopes(['reconcile:read'])
  redemptions(
    @Arg('from', () => Date, { description: 'Redemptions made at or after this instant.' }) from: Date,
    @Arg('to', () => Date, { description: 'Redemptions made before this instant (at most 400 days after from).' }) to: Date,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20, description: 'Page size, at most 100.' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after: string | null,
    @Ctx() ctx: BenefitContext,
  ): Promise<RedemptionPage> {
    return listRedemptions(ctx, from, to, first, after);
  }

  @Query(() => RedemptionStatement, {
    description:
      "CSV statement of one partner's redemptions in one Asia/Shanghai calendar month. Partners: their own (omit partnerId); unions (programs their subtree sponsors) and PLATFORM name the partner.",
  })
  @RequireScopes(['reconcile:read'])
  redemptionStatement(
    @Arg('month', { description: 'YYYY-MM, Asia/Shanghai.' }) month: string,
    @Arg('partnerId', () => ID, { nullable: true, description: 'The redeeming partner; required for unions and PLATFORM.' }) partnerId: string | null,
    @Ctx() ctx: BenefitContext,
  ): Promise<StatementOutcome> {
    return redemptionStatement(ctx, month, partnerId ?? null);
  }

  @FieldResolver(() => Voucher, { description: 'The redeemed voucher.' })
  async voucher(@Root() redemption: RedemptionEntity, @Ctx() ctx: BenefitContext): Promise<VoucherEntity> {
    const voucher = await ctx.loaders.voucherById.load(redemption.voucherId);
    if (!voucher) throw new Error(`redemption ${redemption.id} refers to missing voucher ${redemption.voucherId}`);
    return voucher;
  }
}

@Resolver(() => RedemptionConnection)
export class RedemptionConnectionResolver {
  /** totalCount and totals come from one statement, run only when either is selected. */
  private sums(page: RedemptionPage & { sums?: Promise<RedemptionSums> }, ctx: BenefitContext): Promise<RedemptionSums> {
    page.sums ??= sumRedemptions(ctx, page.filter);
    return page.sums;
  }

  @FieldResolver(() => Int, { description: 'Number of redemptions in the whole list.' })
  async totalCount(@Root() page: RedemptionPage, @Ctx() ctx: BenefitContext): Promise<number> {
    return (await this.sums(page, ctx)).totalCount;
  }

  @FieldResolver(() => RedemptionTotals, { description: 'Counts and sums over the whole list.' })
  totals(@Root() page: RedemptionPage, @Ctx() ctx: BenefitContext): Promise<RedemptionSums> {
    return this.sums(page, ctx);
  }
}
