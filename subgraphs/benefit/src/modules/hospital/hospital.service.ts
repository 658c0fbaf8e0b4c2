import { randomUUID } from 'node:crypto';
import { isUuid, type MemberFacts, recordEvent, shanghaiYear, type VerificationFacts } from '@union/common';
import type { EntityManager } from 'typeorm';
import type { BenefitContext } from '../../context';
import { rowsOf } from '../../sql';
import { CLAIM_COLUMNS, claimFromRow, type DiscountClaimEntity, type HospitalDiscountPolicyEntity, POLICY_COLUMNS, policyFromRow } from './hospital.entity';
import { HospitalErrors } from './hospital.errors';
import type { ApplyHospitalDiscountInput } from './hospital.inputs';
import { fetchVerification } from './hospital.verification';
import { benefitAudience, claimEventData } from '../../events';

/** 10 million yuan: anything above is a typo (or worse), not a hospital bill. */
export const MAX_SELF_PAID_FEN = 1_000_000_000;
const INVOICE_NUMBER = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$/;

export interface DiscountQuoteResult {
  policy: HospitalDiscountPolicyEntity;
  selfPaidFen: number;
  discountFen: number;
  payableFen: number;
  remainingAnnualCapFen: number;
}

export function assertHospital(ctx: BenefitContext): string {
  if (ctx.principal.kind !== 'HOSPITAL') throw HospitalErrors.notHospital();
  return ctx.principal.id;
}

export function checkSelfPaid(selfPaidFen: number, field: string): void {
  if (!Number.isInteger(selfPaidFen) || selfPaidFen <= 0) throw HospitalErrors.badInput('selfPaidFen must be a positive number of fen', field);
  if (selfPaidFen > MAX_SELF_PAID_FEN) throw HospitalErrors.badInput('selfPaidFen is over 10 million yuan', field);
}

function checkInvoiceNumber(invoiceNumber: string): string {
  const value = invoiceNumber.trim();
  if (!INVOICE_NUMBER.test(value)) {
    throw HospitalErrors.badInput('invoiceNumber must be 1-64 characters: letters, digits and . _ / - (not starting with a symbol)', 'input.invoiceNumber');
  }
  return value;
}

/** The rate part of the discount, before the caps: floor, in integer fen. */
export const rateDiscountFen = (selfPaidFen: number, rateBasisPoints: number) => Math.floor((selfPaidFen * rateBasisPoints) / 10_000);

/**
 * The verification must have been made by this hospital for HOSPITAL_DISCOUNT. A verification
 * from another partner or for another purpose is as unusable here as an expired one.
 */
async function loadOwnVerification(ctx: BenefitContext, hospitalId: string, verificationId: string): Promise<VerificationFacts> {
  const verification = isUuid(verificationId) ? await fetchVerification(ctx, verificationId) : null;
  if (!verification) throw HospitalErrors.notFound('verification');
  if (verification.partnerId !== hospitalId)
    throw HospitalErrors.verificationUnusable('this verification was made by another partner; verify the member card again');
  if (verification.purpose !== 'HOSPITAL_DISCOUNT') {
    throw HospitalErrors.verificationUnusable(
      `this verification was made for ${verification.purpose}; verify the member card again with purpose HOSPITAL_DISCOUNT`,
    );
  }
  return verification;
}

function assertCurrent(verification: VerificationFacts, now: Date): void {
  if (Date.parse(verification.expiresAt) <= now.getTime())
    throw HospitalErrors.verificationUnusable('this verification has expired; verify the member card again');
  if (verification.member.status !== 'ACTIVE') throw HospitalErrors.notEligible(`the membership is ${verification.member.status}, not ACTIVE`);
}

interface PolicyCandidate {
  policy: HospitalDiscountPolicyEntity;
  sponsorOrganizationId: string;
  programCreatedAt: Date;
  opensAt: number;
  closesAt: number;
}

/**
 * Which policy applies: the given program's, or else the one of the member's nearest sponsoring
 * organization among the programs with an open policy at this hospital (ties: the newest program).
 */
export async function choosePolicy(
  ctx: BenefitContext,
  hospitalId: string,
  member: MemberFacts,
  programId: string | null | undefined,
  at: Date,
): Promise<HospitalDiscountPolicyEntity> {
  if (programId != null) {
    const program = isUuid(programId) ? await ctx.loaders.programById.load(programId) : null;
    if (!program) throw HospitalErrors.notFound('program');
    if (program.kind !== 'HOSPITAL_DISCOUNT') throw HospitalErrors.badInput('the program is not a HOSPITAL_DISCOUNT program', 'programId');
  }
  const rows: Array<Record<string, unknown>> = await ctx.db.query(
    `SELECT ${POLICY_COLUMNS}, bp.sponsor_organization_id, bp.created_at AS program_created_at,
            greatest(p.valid_from, bp.valid_from) AS opens_at, least(p.valid_to, bp.valid_to) AS closes_at
       FROM hospital_discount_policies p JOIN benefit_programs bp ON bp.id = p.program_id
      WHERE p.hospital_partner_id = $1 AND p.closed_at IS NULL AND bp.kind = 'HOSPITAL_DISCOUNT'
        AND ($2::uuid IS NULL OR p.program_id = $2::uuid)`,
    [hospitalId, programId ?? null],
  );
  const candidates: PolicyCandidate[] = rows.map((row) => ({
    policy: policyFromRow(row),
    sponsorOrganizationId: row.sponsor_organization_id as string,
    programCreatedAt: row.program_created_at as Date,
    opensAt: (row.opens_at as Date).getTime(),
    closesAt: (row.closes_at as Date).getTime(),
  }));
  if (candidates.length === 0) {
    throw HospitalErrors.notEligible(programId != null ? 'the program has no open policy at this hospital' : 'no program has an open policy at this hospital');
  }
  const current = candidates.filter((c) => c.opensAt <= at.getTime() && at.getTime() < c.closesAt);
  if (current.length === 0) throw HospitalErrors.notEligible('no policy at this hospital is valid at this time');
  const rank = (c: PolicyCandidate) => member.organizationChain.indexOf(c.sponsorOrganizationId);
  const covering = current.filter((c) => rank(c) >= 0);
  if (covering.length === 0) throw HospitalErrors.notEligible("the member is not in the sponsoring union's subtree");
  covering.sort(
    (a, b) => rank(a) - rank(b) || b.programCreatedAt.getTime() - a.programCreatedAt.getTime() || b.policy.programId.localeCompare(a.policy.programId),
  );
  return covering[0].policy;
}

export async function quoteDiscount(
  ctx: BenefitContext,
  verificationId: string,
  selfPaidFen: number,
  programId: string | null | undefined,
): Promise<DiscountQuoteResult> {
  const hospitalId = assertHospital(ctx);
  checkSelfPaid(selfPaidFen, 'selfPaidFen');
  const verification = await loadOwnVerification(ctx, hospitalId, verificationId);
  const now = new Date();
  assertCurrent(verification, now);
  const policy = await choosePolicy(ctx, hospitalId, verification.member, programId, now);
  const used = await ctx.loaders.discountUsed.load({ memberId: verification.member.id, programId: policy.programId, year: shanghaiYear(now) });
  const remaining = Math.max(0, policy.annualCapFen - used);
  const discountFen = Math.min(rateDiscountFen(selfPaidFen, policy.rateBasisPoints), policy.perClaimCapFen, remaining);
  return { policy, selfPaidFen, discountFen, payableFen: selfPaidFen - discountFen, remainingAnnualCapFen: remaining - discountFen };
}

async function claimByInvoice(ctx: BenefitContext, hospitalId: string, invoiceNumber: string): Promise<DiscountClaimEntity | null> {
  const rows: Array<Record<string, unknown>> = await ctx.db.query(
    `SELECT ${CLAIM_COLUMNS} FROM discount_claims c WHERE c.hospital_partner_id = $1 AND c.invoice_number = $2`,
    [hospitalId, invoiceNumber],
  );
  return rows[0] ? claimFromRow(rows[0]) : null;
}

/** A re-sent invoice: the original claim when the content matches, IDEMPOTENCY_CONFLICT otherwise. */
function replay(existing: DiscountClaimEntity, input: ApplyHospitalDiscountInput, memberId: string): DiscountClaimEntity {
  const same =
    existing.selfPaidFen === input.selfPaidFen && existing.memberId === memberId && (input.programId == null || input.programId === existing.programId);
  if (!same) throw HospitalErrors.invoiceConflict();
  return existing;
}

class InvoiceTaken extends Error {}

/**
 * Applies a discount. The annual cap is enforced inside one transaction by the database: the
 * member's usage row of (program, year) is created or locked by an upsert, and a guarded UPDATE
 * adds the discount only while used + discount stays within the cap. Concurrent claims for one
 * member (from any hospital of the program) queue on that row, so their sum never passes the cap.
 */
export async function applyDiscount(ctx: BenefitContext, input: ApplyHospitalDiscountInput): Promise<DiscountClaimEntity> {
  const hospitalId = assertHospital(ctx);
  const invoiceNumber = checkInvoiceNumber(input.invoiceNumber);
  checkSelfPaid(input.selfPaidFen, 'input.selfPaidFen');
  if (input.programId != null && !isUuid(input.programId)) throw HospitalErrors.notFound('program');
  const verification = await loadOwnVerification(ctx, hospitalId, input.verificationId);
  const memberId = verification.member.id;

  // A retry of a claim already made answers the original even after the verification expired.
  const existing = await claimByInvoice(ctx, hospitalId, invoiceNumber);
  if (existing) return replay(existing, input, memberId);

  const now = new Date();
  assertCurrent(verification, now);
  const policy = await choosePolicy(ctx, hospitalId, verification.member, input.programId, now);
  const year = shanghaiYear(now);
  const wanted = Math.min(rateDiscountFen(input.selfPaidFen, policy.rateBasisPoints), policy.perClaimCapFen);
  const audience = await benefitAudience(ctx, { member: verification.member, programId: policy.programId, partnerIds: [hospitalId] });

  try {
    return await ctx.db.transaction(async (tx: EntityManager) => {
      const usage = await rowsOf<{ used_fen: string }>(
        tx,
        `INSERT INTO discount_usage AS u (program_id, member_id, year, used_fen) VALUES ($1, $2, $3, 0)
         ON CONFLICT (member_id, program_id, year) DO UPDATE SET used_fen = u.used_fen
         RETURNING u.used_fen`,
        [policy.programId, memberId, year],
      );
      const remaining = policy.annualCapFen - Number(usage[0].used_fen);
      if (remaining <= 0) throw HospitalErrors.annualCapReached();
      const granted = Math.min(wanted, remaining);
      const charged = await rowsOf(
        tx,
        `UPDATE discount_usage SET used_fen = used_fen + $4
          WHERE program_id = $1 AND member_id = $2 AND year = $3 AND used_fen + $4 <= $5
          RETURNING used_fen`,
        [policy.programId, memberId, year, granted, policy.annualCapFen],
      );
      if (charged.length === 0) throw HospitalErrors.annualCapReached();
      const inserted = await rowsOf(
        tx,
        `INSERT INTO discount_claims AS c (id, hospital_partner_id, invoice_number, policy_id, program_id, member_id, verification_id,
                                           usage_year, rate_basis_points, self_paid_fen, discount_fen, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'APPLIED', $12)
         ON CONFLICT (hospital_partner_id, invoice_number) DO NOTHING
         RETURNING ${CLAIM_COLUMNS}`,
        [
          randomUUID(),
          hospitalId,
          invoiceNumber,
          policy.id,
          policy.programId,
          memberId,
          verification.id,
          year,
          policy.rateBasisPoints,
          input.selfPaidFen,
          granted,
          now,
        ],
      );
      // The same invoice committed by a concurrent request: roll this one back, answer as a retry.
      if (inserted.length === 0) throw new InvoiceTaken();
      const claim = claimFromRow(inserted[0]);
      await recordEvent(tx, { type: 'DISCOUNT_CLAIM_APPLIED', subjectId: claim.id, data: claimEventData(claim), audience });
      return claim;
    });
  } catch (error) {
    if (!(error instanceof InvoiceTaken)) throw error;
    const original = await claimByInvoice(ctx, hospitalId, invoiceNumber);
    if (!original) throw error;
    return replay(original, input, memberId);
  }
}

/** Voids a claim of the calling hospital and gives its discount back to the annual cap; voiding again answers the voided claim. */
export async function voidClaim(ctx: BenefitContext, claimId: string, reason: string): Promise<DiscountClaimEntity> {
  const hospitalId = assertHospital(ctx);
  const why = reason.trim();
  if (why.length < 1 || why.length > 500) throw HospitalErrors.badInput('reason must have 1 to 500 characters', 'reason');
  if (!isUuid(claimId)) throw HospitalErrors.notFound('discount claim');
  const known = await ctx.loaders.claimById.load(claimId);
  // Read only for the event's audience: nothing later in this request may see it as it was.
  ctx.loaders.claimById.clear(claimId);
  const audience =
    known && known.hospitalPartnerId === hospitalId && known.status === 'APPLIED'
      ? await benefitAudience(ctx, { memberId: known.memberId, programId: known.programId, partnerIds: [hospitalId] })
      : null;
  return ctx.db.transaction(async (tx: EntityManager) => {
    // WHERE status = 'APPLIED' makes a concurrent second void wait, re-check and find nothing to do.
    const voided = await rowsOf(
      tx,
      `UPDATE discount_claims c SET status = 'VOIDED', voided_at = $3, void_reason = $4
        WHERE c.id = $1 AND c.hospital_partner_id = $2 AND c.status = 'APPLIED'
        RETURNING ${CLAIM_COLUMNS}`,
      [claimId, hospitalId, new Date(), why],
    );
    if (voided[0]) {
      const claim = claimFromRow(voided[0]);
      await tx.query(`UPDATE discount_usage SET used_fen = used_fen - $4 WHERE program_id = $1 AND member_id = $2 AND year = $3`, [
        claim.programId,
        claim.memberId,
        claim.usageYear,
        claim.discountFen,
      ]);
      await recordEvent(tx, {
        type: 'DISCOUNT_CLAIM_VOIDED',
        subjectId: claim.id,
        data: claimEventData(claim),
        audience: audience ?? { partnerIds: [hospitalId] },
      });
      return claim;
    }
    // Another hospital's claim does not exist for this caller.
    const rows: Array<Record<string, unknown>> = await tx.query(
      `SELECT ${CLAIM_COLUMNS} FROM discount_claims c WHERE c.id = $1 AND c.hospital_partner_id = $2`,
      [claimId, hospitalId],
    );
    if (!rows[0]) throw HospitalErrors.notFound('discount claim');
    return claimFromRow(rows[0]);
  });
}
