import { isUuid } from '@union/common';
import type { BenefitContext } from '../../context';
import type { VoucherEntity } from './voucher.entity';
import { canReadVoucher } from './voucher.service';

/** type-graphql's authorization does not run here, so the voucher's readers are checked explicitly. */
export async function resolveVoucherReference(reference: { id: string }, ctx: BenefitContext): Promise<VoucherEntity | null> {
  if (!isUuid(reference.id)) return null;
  const voucher = await ctx.loaders.voucherById.load(reference.id);
  return voucher && (await canReadVoucher(ctx, voucher)) ? voucher : null;
}
