import { csvDocument, isUuid } from '@union/common';
import type { BenefitContext } from '../../context';
import { BenefitErrors } from '../../errors';
import { graphqlInt, shanghaiMonth, shanghaiWallClock } from '../../statements';
import { maskVoucherCode } from '../voucher/voucher.code';
import { redemptionScope } from './redemption.service';

/** A month's statement is built in memory; beyond this, page through redemptions() instead. */
export const MAX_STATEMENT_ROWS = 50_000;

export interface StatementOutcome {
  month: string;
  partnerId: string;
  completedCount: number;
  completedDiscountFen: number;
  completedOrderAmountFen: number;
  cancelledCount: number;
  csv: string;
  rowCount: number;
  sha256: string;
}

/** 2026-03-01T09:30:00+08:00: what an accountant in Guangzhou expects to read. */
const shanghaiTime = (at: Date | null) => (at ? `${shanghaiWallClock(at)}+08:00` : '');

const HEADER = [
  'redemption_id',
  'redeemed_at',
  'partner_order_id',
  'voucher_code',
  'batch_id',
  'batch_name',
  'voucher_kind',
  'order_amount_fen',
  'discount_fen',
  'status',
  'cancelled_at',
];

/**
 * One partner's redemptions of one Asia/Shanghai month as CSV. A partner reads its own; a union
 * names the partner and sees the rows under programs its subtree sponsors; PLATFORM names any.
 */
export async function redemptionStatement(ctx: BenefitContext, month: string, partnerIdArg: string | null): Promise<StatementOutcome> {
  const { start: from, end: to } = shanghaiMonth(month);
  const scope = await redemptionScope(ctx);
  let partnerId: string;
  let programFilter: string[] | null = null;
  if ('partnerId' in scope) {
    if (partnerIdArg !== null && partnerIdArg !== scope.partnerId) throw BenefitErrors.forbidden('a partner reads only its own statement');
    partnerId = scope.partnerId;
  } else if ('none' in scope) {
    throw BenefitErrors.forbidden('statements are for partners, unions and the platform');
  } else {
    if (partnerIdArg === null) throw BenefitErrors.badInput('partnerId is required for union and platform callers', 'partnerId');
    if (!isUuid(partnerIdArg)) throw BenefitErrors.badInput('partnerId must be a partner id', 'partnerId');
    partnerId = partnerIdArg;
    if ('programIds' in scope) programFilter = scope.programIds;
  }

  const rows: Array<Record<string, unknown>> = await ctx.db.query(
    `SELECT r.id, r.created_at, r.partner_order_id, v.code, r.batch_id, b.name AS batch_name, b.voucher_kind,
            r.order_amount_fen, r.discount_fen, r.status, r.cancelled_at
       FROM redemptions r
       JOIN vouchers v ON v.id = r.voucher_id
       JOIN voucher_batches b ON b.id = r.batch_id
      WHERE r.partner_id = $1 AND r.created_at >= $2 AND r.created_at < $3
        AND ($4::uuid[] IS NULL OR r.program_id = ANY($4::uuid[]))
      ORDER BY r.created_at, r.id
      LIMIT ${MAX_STATEMENT_ROWS + 1}`,
    [partnerId, from, to, programFilter],
  );
  if (rows.length > MAX_STATEMENT_ROWS) {
    throw BenefitErrors.badInput(`more than ${MAX_STATEMENT_ROWS} redemptions in ${month}: page through redemptions(from, to) instead`, 'month');
  }

  let completedCount = 0;
  let completedDiscountFen = 0n;
  let completedOrderAmountFen = 0n;
  let cancelledCount = 0;
  const cells = rows.map((row) => {
    if (row.status === 'COMPLETED') {
      completedCount += 1;
      completedDiscountFen += BigInt(row.discount_fen as number);
      completedOrderAmountFen += BigInt(row.order_amount_fen as number);
    } else cancelledCount += 1;
    return [
      row.id as string,
      shanghaiTime(row.created_at as Date),
      row.partner_order_id as string,
      maskVoucherCode(row.code as string),
      row.batch_id as string,
      row.batch_name as string,
      row.voucher_kind as string,
      Number(row.order_amount_fen),
      Number(row.discount_fen),
      row.status as string,
      shanghaiTime(row.cancelled_at as Date | null),
    ];
  });
  const document = csvDocument(HEADER, cells);
  return {
    month,
    partnerId,
    completedCount,
    // Checked only when selected: a month whose sum does not fit a GraphQL Int still hands out its CSV.
    get completedDiscountFen() {
      return graphqlInt(completedDiscountFen, 'month', 'sum the discount_fen column of the csv');
    },
    get completedOrderAmountFen() {
      return graphqlInt(completedOrderAmountFen, 'month', 'sum the order_amount_fen column of the csv');
    },
    cancelledCount,
    ...document,
  };
}
