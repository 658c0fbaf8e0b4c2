import { randomUUID } from 'node:crypto';
import { isUuid, type Page, pageOf, pageSize, recordEvent } from '@union/common';
import type { GraphQLError } from 'graphql';
import type { BenefitContext } from '../../context';
import { BenefitErrors } from '../../errors';
import type { VoucherBatchEntity } from '../batch/batch.entity';
import { redeemablePartnerIds } from '../batch/batch.service';
import { programIdsSponsoredInSubtree } from '../program/program.service';
import { normalizeVoucherCode } from '../voucher/voucher.code';
import { effectiveVoucherStatus, type VoucherEntity } from '../voucher/voucher.entity';
import { type RedemptionRefusal, VoucherErrors } from '../voucher/voucher.errors';
import { rowsOf } from '../../sql';
import { graphqlInt } from '../../statements';
import { countRefusedAttempt } from './redemption.failures';
import { redemptionFromRow, type RedemptionEntity } from './redemption.entity';
import type { RedeemVoucherInput } from './redemption.inputs';
import { benefitAudience, redemptionEventData } from '../../events';

const REDEEMING_KINDS = ['TRAVEL_PARTNER', 'MERCHANT'];
const MAX_ORDER_ID_LENGTH = 128;

function assertRedeemingPartner(ctx: BenefitContext): string {
  if (!REDEEMING_KINDS.includes(ctx.principal.kind)) throw BenefitErrors.forbidden('only travel partners and merchants redeem vouchers');
  return ctx.principal.id;
}

function checkOrderAmount(orderAmountFen: number): void {
  if (!Number.isSafeInteger(orderAmountFen) || orderAmountFen <= 0)
    throw BenefitErrors.badInput('orderAmountFen must be a positive amount of fen', 'orderAmountFen');
}

function checkOrderId(partnerOrderId: string, field: string): void {
  if (partnerOrderId.length < 1 || partnerOrderId.length > MAX_ORDER_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(partnerOrderId)) {
    throw BenefitErrors.badInput(`partnerOrderId must have 1 to ${MAX_ORDER_ID_LENGTH} printable characters`, field);
  }
}

type Assessment =
  | { ok: true; voucher: VoucherEntity; batch: VoucherBatchEntity; discountFen: number }
  | { ok: false; reason: RedemptionRefusal; error: GraphQLError; voucher: VoucherEntity | null };

const refuse = (reason: RedemptionRefusal, error: GraphQLError, voucher: VoucherEntity | null = null): Assessment => ({ ok: false, reason, error, voucher });

/**
 * Everything redeemVoucher checks before it writes, in the order a partner may learn it: a
 * partner that may not redeem a voucher learns nothing about it (not its expiry, not whether it
 * was used). Reads the voucher fresh when `fresh` (after losing a race).
 */
async function assess(ctx: BenefitContext, code: string | null, orderAmountFen: number, fresh = false): Promise<Assessment> {
  if (code === null) return refuse('VOUCHER_NOT_FOUND', VoucherErrors.voucherNotFound());
  if (fresh) ctx.loaders.voucherByCode.clear(code);
  const voucher = await ctx.loaders.voucherByCode.load(code);
  if (!voucher) return refuse('VOUCHER_NOT_FOUND', VoucherErrors.voucherNotFound());
  if (!(await redeemablePartnerIds(ctx, voucher.batchId)).includes(ctx.principal.id)) return refuse('PARTNER_NOT_ALLOWED', VoucherErrors.partnerNotAllowed());
  const batch = (await ctx.loaders.batchById.load(voucher.batchId))!;
  const now = new Date();
  switch (effectiveVoucherStatus(voucher, now)) {
    case 'REDEEMED':
      return refuse('VOUCHER_ALREADY_REDEEMED', VoucherErrors.alreadyRedeemed(), voucher);
    case 'EXPIRED':
      return refuse('VOUCHER_EXPIRED', VoucherErrors.voucherExpired(`the voucher expired at ${voucher.validTo.toISOString()}`), voucher);
    case 'VOIDED':
      return refuse('VOUCHER_NOT_FOUND', VoucherErrors.voucherNotFound());
    case 'ISSUED':
      break;
  }
  if (voucher.validFrom.getTime() > now.getTime()) {
    return refuse('VOUCHER_EXPIRED', VoucherErrors.voucherExpired(`the voucher is valid from ${voucher.validFrom.toISOString()} only`), voucher);
  }
  if (orderAmountFen < batch.minSpendFen) return refuse('MIN_SPEND_NOT_MET', VoucherErrors.minSpendNotMet(batch.minSpendFen), voucher);
  // A suspended or lapsed member keeps its vouchers but cannot use them until reinstated.
  const owner = await ctx.directory.members.load(voucher.memberId);
  if (owner?.status !== 'ACTIVE') {
    return refuse('NOT_ELIGIBLE', VoucherErrors.notEligible(`the voucher's owner is ${owner?.status ?? 'not a member'}, not ACTIVE`), voucher);
  }
  return { ok: true, voucher, batch, discountFen: Math.min(batch.faceValueFen, orderAmountFen) };
}

export interface ValidationOutcome {
  valid: boolean;
  reason: RedemptionRefusal | null;
  discountFen: number | null;
  voucher: VoucherEntity | null;
}

/** What redeemVoucher would answer now, without writing anything but the refused-attempt counter. */
export async function validateVoucher(ctx: BenefitContext, code: string, orderAmountFen: number): Promise<ValidationOutcome> {
  const partnerId = assertRedeemingPartner(ctx);
  checkOrderAmount(orderAmountFen);
  const assessed = await assess(ctx, normalizeVoucherCode(code), orderAmountFen);
  if (assessed.ok) return { valid: true, reason: null, discountFen: assessed.discountFen, voucher: assessed.voucher };
  await countRefusedAttempt(ctx.db, partnerId, assessed.reason);
  return { valid: false, reason: assessed.reason, discountFen: null, voucher: assessed.voucher };
}

async function findByOrder(ctx: BenefitContext, partnerId: string, partnerOrderId: string): Promise<RedemptionEntity | null> {
  const rows = await ctx.db.query(`SELECT * FROM redemptions WHERE partner_id = $1 AND partner_order_id = $2`, [partnerId, partnerOrderId]);
  return rows.length ? redemptionFromRow(rows[0]) : null;
}

/** A re-sent order: the original redemption if it is the same request, IDEMPOTENCY_CONFLICT otherwise. */
async function replay(ctx: BenefitContext, original: RedemptionEntity, code: string | null, orderAmountFen: number): Promise<RedemptionEntity> {
  const voucher = await ctx.loaders.voucherById.load(original.voucherId);
  if (voucher?.code !== code || original.orderAmountFen !== orderAmountFen) {
    throw VoucherErrors.idempotencyConflict('this partnerOrderId was already used with another code or amount');
  }
  return original;
}

class LostRace extends Error {}

/**
 * Redeems a voucher on a partner's order. The voucher leaves ISSUED only through a guarded UPDATE
 * (WHERE status = 'ISSUED' AND within validity), so of any number of concurrent requests for one
 * code exactly one wins; the redemption row is inserted in the same transaction, keyed by
 * (partner, partnerOrderId), so a concurrent retry of the same order loses on that key and is
 * answered as a replay.
 */
export async function redeemVoucher(ctx: BenefitContext, input: RedeemVoucherInput): Promise<RedemptionEntity> {
  const partnerId = assertRedeemingPartner(ctx);
  checkOrderId(input.partnerOrderId, 'input.partnerOrderId');
  checkOrderAmount(input.orderAmountFen);
  const code = normalizeVoucherCode(input.code);

  for (let attempt = 0; ; attempt++) {
    const earlier = await findByOrder(ctx, partnerId, input.partnerOrderId);
    if (earlier) return replay(ctx, earlier, code, input.orderAmountFen);
    const assessed = await assess(ctx, code, input.orderAmountFen, attempt > 0);
    if (!assessed.ok) {
      // A retry of this very order may have redeemed the voucher between the two reads above:
      // then this is a replay, not a second redemption.
      if (assessed.reason === 'VOUCHER_ALREADY_REDEEMED') {
        const winner = await findByOrder(ctx, partnerId, input.partnerOrderId);
        if (winner) return replay(ctx, winner, code, input.orderAmountFen);
      }
      await countRefusedAttempt(ctx.db, partnerId, assessed.reason);
      throw assessed.error;
    }
    // A winner that rolled back can leave the voucher ISSUED after all: look again, a few times.
    if (attempt === 3) throw VoucherErrors.alreadyRedeemed();
    const audience = await benefitAudience(ctx, { memberId: assessed.voucher.memberId, programId: assessed.batch.programId, partnerIds: [partnerId] });
    try {
      return await ctx.db.transaction(async (tx) => {
        const taken = await rowsOf(
          tx,
          `UPDATE vouchers SET status = 'REDEEMED' WHERE id = $1 AND status = 'ISSUED' AND valid_from <= now() AND valid_to > now() RETURNING id`,
          [assessed.voucher.id],
        );
        if (taken.length === 0) throw new LostRace();
        const inserted = await rowsOf(
          tx,
          `INSERT INTO redemptions (id, voucher_id, batch_id, program_id, partner_id, partner_order_id, order_amount_fen, discount_fen, status)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'COMPLETED')
           ON CONFLICT (partner_id, partner_order_id) DO NOTHING
           RETURNING *`,
          [
            randomUUID(),
            assessed.voucher.id,
            assessed.batch.id,
            assessed.batch.programId,
            partnerId,
            input.partnerOrderId,
            input.orderAmountFen,
            assessed.discountFen,
          ],
        );
        if (inserted.length === 0) throw new LostRace();
        const redemption = redemptionFromRow(inserted[0]);
        // Subject: the redemption, so a later REDEMPTION_CANCELLED is delivered after it.
        await recordEvent(tx, {
          type: 'VOUCHER_REDEEMED',
          subjectId: redemption.id,
          data: redemptionEventData(redemption, assessed.voucher.memberId),
          audience,
        });
        return redemption;
      });
    } catch (error) {
      if (!(error instanceof LostRace)) throw error;
    }
  }
}

/**
 * Undoes a partner's own redemption (order refunded). Idempotent: cancelling a cancelled
 * redemption returns it unchanged. The voucher is ISSUED again if still valid, else EXPIRED.
 * Another partner's order id is simply not found.
 */
export async function cancelRedemption(ctx: BenefitContext, partnerOrderId: string, reason: string): Promise<RedemptionEntity> {
  const partnerId = assertRedeemingPartner(ctx);
  checkOrderId(partnerOrderId, 'partnerOrderId');
  const why = reason.trim();
  if (why.length < 1 || why.length > 500) throw BenefitErrors.badInput('reason must have 1 to 500 characters', 'reason');
  const redemption = await findByOrder(ctx, partnerId, partnerOrderId);
  if (!redemption) throw BenefitErrors.notFound('redemption');
  if (redemption.status === 'CANCELLED') return redemption;
  const voucher = await ctx.loaders.voucherById.load(redemption.voucherId);
  const audience = await benefitAudience(ctx, { memberId: voucher?.memberId, programId: redemption.programId, partnerIds: [partnerId] });
  const cancelled = await ctx.db.transaction(async (tx) => {
    const rows = await rowsOf(
      tx,
      `UPDATE redemptions SET status = 'CANCELLED', cancelled_at = now(), cancel_reason = $2 WHERE id = $1 AND status = 'COMPLETED' RETURNING *`,
      [redemption.id, why],
    );
    if (rows.length === 0) return null;
    await tx.query(`UPDATE vouchers SET status = CASE WHEN valid_to > now() THEN 'ISSUED' ELSE 'EXPIRED' END WHERE id = $1 AND status = 'REDEEMED'`, [
      redemption.voucherId,
    ]);
    const done = redemptionFromRow(rows[0]);
    await recordEvent(tx, { type: 'REDEMPTION_CANCELLED', subjectId: done.id, data: redemptionEventData(done, voucher?.memberId ?? null), audience });
    return done;
  });
  // The voucher read for the audience is stale now; redemption.voucher must not be.
  ctx.loaders.voucherById.clear(redemption.voucherId);
  // null: a concurrent cancel of the same order got there first; answer what it wrote.
  return cancelled ?? (await findByOrder(ctx, partnerId, partnerOrderId))!;
}

// ------------------------------------------------------------------ reads

/** Which redemptions a caller may see: a partner its own, a union those of programs sponsored in its subtree, PLATFORM all. */
export type RedemptionScope = { partnerId: string } | { programIds: string[] } | { all: true } | { none: true };

/** Per request: resolving many Redemption references must not list the union's programs each time. */
const scopeOfRequest = new WeakMap<BenefitContext, Promise<RedemptionScope>>();

export function redemptionScope(ctx: BenefitContext): Promise<RedemptionScope> {
  let scope = scopeOfRequest.get(ctx);
  if (!scope) {
    scope = scopeOf(ctx);
    scopeOfRequest.set(ctx, scope);
  }
  return scope;
}

async function scopeOf(ctx: BenefitContext): Promise<RedemptionScope> {
  switch (ctx.principal.kind) {
    case 'TRAVEL_PARTNER':
    case 'MERCHANT':
    case 'HOSPITAL':
      return { partnerId: ctx.principal.id };
    case 'UNION':
      return { programIds: await programIdsSponsoredInSubtree(ctx, ['TRAVEL_CARD', 'WELFARE_VOUCHER']) };
    case 'PLATFORM':
    case 'SERVICE':
      return { all: true };
    default:
      return { none: true };
  }
}

/** SQL condition and parameters of a scope, parameters numbered from `offset`. */
function scopeSql(scope: RedemptionScope, offset: number): { sql: string; params: unknown[] } {
  if ('partnerId' in scope) return { sql: `r.partner_id = $${offset}`, params: [scope.partnerId] };
  if ('programIds' in scope) return { sql: `r.program_id = ANY($${offset}::uuid[])`, params: [scope.programIds] };
  if ('all' in scope) return { sql: 'true', params: [] };
  return { sql: 'false', params: [] };
}

export interface RedemptionFilter {
  scope: RedemptionScope;
  from: Date;
  to: Date;
}

export interface RedemptionPage extends Page<RedemptionEntity> {
  filter: RedemptionFilter;
}

const MAX_RANGE_MS = 400 * 86_400_000;

export async function listRedemptions(ctx: BenefitContext, from: Date, to: Date, first: number | null, after: string | null): Promise<RedemptionPage> {
  const limit = pageSize(first);
  if (to.getTime() <= from.getTime()) throw BenefitErrors.badInput('to must be after from', 'to');
  if (to.getTime() - from.getTime() > MAX_RANGE_MS) throw BenefitErrors.badInput('from..to may span at most 400 days', 'to');
  const listName = `redemptions:${from.toISOString()}:${to.toISOString()}`;
  const position = ctx.cursors.decode<[string, string]>(listName, after);
  const filter: RedemptionFilter = { scope: await redemptionScope(ctx), from, to };
  const scope = scopeSql(filter.scope, 5);
  // created_at comes from now() with microseconds; a JavaScript Date keeps milliseconds only, so the
  // keyset position is the column's text, or the last row of a page would open the next one again.
  const rows: Array<Record<string, unknown>> = await ctx.db.query(
    `SELECT r.*, r.created_at::text AS cursor_key FROM redemptions r
      WHERE r.created_at >= $1 AND r.created_at < $2 AND ${scope.sql}
        AND ($3::timestamptz IS NULL OR (r.created_at, r.id) > ($3::timestamptz, $4::uuid))
      ORDER BY r.created_at, r.id
      LIMIT ${limit + 1}`,
    [from, to, position?.[0] ?? null, position?.[1] ?? null, ...scope.params],
  );
  const page = pageOf(rows, limit, (last) => ctx.cursors.encode(listName, [last.cursor_key, last.id]));
  return {
    nodes: page.nodes.map(redemptionFromRow),
    pageInfo: page.pageInfo,
    filter,
  };
}

export interface RedemptionSums {
  totalCount: number;
  completedCount: number;
  completedDiscountFen: number;
  completedOrderAmountFen: number;
  cancelledCount: number;
}

/** Counts and sums over a whole filtered list, in one statement. */
export async function sumRedemptions(ctx: BenefitContext, filter: RedemptionFilter): Promise<RedemptionSums> {
  const scope = scopeSql(filter.scope, 3);
  const [row] = await ctx.db.query(
    `SELECT count(*) AS total,
            count(*) FILTER (WHERE r.status = 'COMPLETED') AS completed,
            coalesce(sum(r.discount_fen) FILTER (WHERE r.status = 'COMPLETED'), 0) AS discount,
            coalesce(sum(r.order_amount_fen) FILTER (WHERE r.status = 'COMPLETED'), 0) AS amount,
            count(*) FILTER (WHERE r.status = 'CANCELLED') AS cancelled
       FROM redemptions r
      WHERE r.created_at >= $1 AND r.created_at < $2 AND ${scope.sql}`,
    [filter.from, filter.to, ...scope.params],
  );
  // A year of a busy partner's orders passes 21 million yuan: ask for a shorter range rather than fail.
  const toInt = (value: string) => graphqlInt(value, 'to', 'ask for a shorter range');
  return {
    totalCount: toInt(row.total),
    completedCount: toInt(row.completed),
    completedDiscountFen: toInt(row.discount),
    completedOrderAmountFen: toInt(row.amount),
    cancelledCount: toInt(row.cancelled),
  };
}

/** The redeeming partner, the sponsoring union's subtree, PLATFORM, and the member who held the voucher. */
export async function canReadRedemption(ctx: BenefitContext, redemption: RedemptionEntity): Promise<boolean> {
  const scope = await redemptionScope(ctx);
  if ('partnerId' in scope) return scope.partnerId === redemption.partnerId;
  if ('programIds' in scope) return scope.programIds.includes(redemption.programId);
  if ('all' in scope) return true;
  if (ctx.principal.kind === 'MEMBER') {
    const voucher = await ctx.loaders.voucherById.load(redemption.voucherId);
    return voucher?.memberId === ctx.principal.id;
  }
  return false;
}

export async function loadRedemption(ctx: BenefitContext, id: string): Promise<RedemptionEntity | null> {
  if (!isUuid(id)) return null;
  const redemption = await ctx.loaders.redemptionById.load(id);
  return redemption && (await canReadRedemption(ctx, redemption)) ? redemption : null;
}
