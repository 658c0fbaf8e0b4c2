import { randomUUID } from 'node:crypto';
import { isUuid } from '@union/common';
import type { BenefitContext } from '../../context';
import { BenefitErrors } from '../../errors';
import { assertSponsorInCallerSubtree, loadProgram } from '../program/program.service';
import { batchFromRow, type VoucherBatchEntity } from './batch.entity';
import type { CreateVoucherBatchInput } from './batch.inputs';

export const MAX_BATCH_QUANTITY = 10_000_000;
export const MAX_REDEEMABLE_PARTNERS = 100;
const VOUCHER_PROGRAM_KINDS = ['TRAVEL_CARD', 'WELFARE_VOUCHER'];

const isFen = (value: number) => Number.isSafeInteger(value);

/** Everything that can be said about the input without reading anything: BAD_USER_INPUT, nothing written. */
function checkBatchInput(input: CreateVoucherBatchInput): { name: string; partnerIds: string[] } {
  const bad = BenefitErrors.badInput;
  const name = input.name.trim();
  if (name.length < 1 || name.length > 200) throw bad('name must have 1 to 200 characters', 'input.name');
  if (!isFen(input.faceValueFen) || input.faceValueFen <= 0) throw bad('faceValueFen must be a positive amount of fen', 'input.faceValueFen');
  if (!isFen(input.minSpendFen) || input.minSpendFen < 0) throw bad('minSpendFen must not be negative', 'input.minSpendFen');
  if (input.totalQuantity < 1 || input.totalQuantity > MAX_BATCH_QUANTITY) {
    throw bad(`totalQuantity must be between 1 and ${MAX_BATCH_QUANTITY}`, 'input.totalQuantity');
  }
  if (input.perMemberLimit < 1 || input.perMemberLimit > input.totalQuantity) {
    throw bad('perMemberLimit must be between 1 and totalQuantity', 'input.perMemberLimit');
  }
  if (input.claimEndsAt.getTime() <= input.claimStartsAt.getTime()) throw bad('claimEndsAt must be after claimStartsAt', 'input.claimEndsAt');
  if (input.validTo.getTime() <= input.validFrom.getTime()) throw bad('validTo must be after validFrom', 'input.validTo');
  if (input.claimEndsAt.getTime() > input.validTo.getTime())
    throw bad('claimEndsAt must not be after validTo: nobody may claim a voucher that cannot be used', 'input.claimEndsAt');
  const days = input.validDaysAfterClaim;
  if (days !== null && days !== undefined && (days < 1 || days > 3660))
    throw bad('validDaysAfterClaim must be between 1 and 3660', 'input.validDaysAfterClaim');
  if (!input.redeemablePartnerIds.every(isUuid)) throw bad('redeemablePartnerIds must be partner ids', 'input.redeemablePartnerIds');
  // Lower case, as PostgreSQL writes a uuid: one partner spelled in two cases is one row, not a key violation.
  const partnerIds = [...new Set(input.redeemablePartnerIds.map((id) => id.toLowerCase()))];
  if (partnerIds.length === 0 || partnerIds.length > MAX_REDEEMABLE_PARTNERS) {
    throw bad(`redeemablePartnerIds must name 1 to ${MAX_REDEEMABLE_PARTNERS} partners`, 'input.redeemablePartnerIds');
  }
  return { name, partnerIds };
}

export async function createVoucherBatch(ctx: BenefitContext, input: CreateVoucherBatchInput): Promise<VoucherBatchEntity> {
  const { name, partnerIds } = checkBatchInput(input);
  const program = await loadProgram(ctx, input.programId);
  if (!program) throw BenefitErrors.notFound('program');
  await assertSponsorInCallerSubtree(ctx, program.sponsorOrganizationId);
  if (!VOUCHER_PROGRAM_KINDS.includes(program.kind)) {
    throw BenefitErrors.badInput('voucher batches belong to TRAVEL_CARD or WELFARE_VOUCHER programs', 'input.programId');
  }
  if (input.validFrom.getTime() < program.validFrom.getTime() || input.validTo.getTime() > program.validTo.getTime()) {
    throw BenefitErrors.badInput("the batch's validFrom..validTo must lie within the program's", 'input.validTo');
  }

  return ctx.db.transaction(async (tx) => {
    const [row] = await tx.query(
      `INSERT INTO voucher_batches (id, program_id, name, voucher_kind, face_value_fen, min_spend_fen, total_quantity, per_member_limit,
                                    claim_starts_at, claim_ends_at, valid_from, valid_to, valid_days_after_claim, real_name_verified_only, created_by_partner_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING *`,
      [
        randomUUID(),
        program.id,
        name,
        input.voucherKind,
        input.faceValueFen,
        input.minSpendFen,
        input.totalQuantity,
        input.perMemberLimit,
        input.claimStartsAt,
        input.claimEndsAt,
        input.validFrom,
        input.validTo,
        input.validDaysAfterClaim ?? null,
        input.realNameVerifiedOnly ?? false,
        ctx.principal.id,
      ],
    );
    await tx.query(`INSERT INTO voucher_batch_partners (batch_id, partner_id) SELECT $1, unnest($2::uuid[])`, [row.id, partnerIds]);
    // The pool's stripes were made by the insert trigger; nothing is claimed yet.
    return batchFromRow({ ...row, claimed: 0 });
  });
}

export function loadBatch(ctx: BenefitContext, id: string): Promise<VoucherBatchEntity | null> {
  return isUuid(id) ? ctx.loaders.batchById.load(id) : Promise.resolve(null);
}

export async function redeemablePartnerIds(ctx: BenefitContext, batchId: string): Promise<string[]> {
  return (await ctx.loaders.batchPartnerIds.load(batchId)).map((row) => row.partner_id);
}
