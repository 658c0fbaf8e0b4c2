import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { BenefitContext } from '../../context';
import { effectiveVoucherStatus, type VoucherEntity, type VoucherStatus as Status } from './voucher.entity';
import { Voucher, VoucherStatus } from './voucher.types';

@Resolver(() => Voucher)
export class VoucherResolver {
  @FieldResolver(() => VoucherStatus, { description: 'Status; an ISSUED voucher past validTo reads as EXPIRED.' })
  status(@Root() voucher: VoucherEntity): Status {
    return effectiveVoucherStatus(voucher);
  }

  @FieldResolver(() => String, { description: 'The bearer code a travel partner or merchant redeems. Shown in full only to its owner and to redeeming partners.' })
  code(@Root() voucher: VoucherEntity, @Ctx() ctx: BenefitContext): string {
    const { kind, id } = ctx.principal;
    const fullCode = (kind === 'MEMBER' && id === voucher.memberId) || kind === 'TRAVEL_PARTNER' || kind === 'MERCHANT';
    return fullCode ? voucher.code : `${'*'.repeat(Math.max(voucher.code.length - 4, 0))}${voucher.code.slice(-4)}`;
  }
}
