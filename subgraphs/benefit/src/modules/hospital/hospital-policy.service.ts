import { randomUUID } from 'node:crypto';
import { DEMO_PARTNERS, isUniqueViolation, isUuid } from '@union/common';
import type { BenefitContext } from '../../context';
import { rowsOf } from '../../sql';
import type { BenefitProgramEntity } from '../program/program.entity';
import { assertSponsorInCallerSubtree } from '../program/program.service';
import { type HospitalDiscountPolicyEntity, POLICY_COLUMNS, policyFromRow } from './hospital.entity';
import { HospitalErrors } from './hospital.errors';
import type { CreateHospitalDiscountPolicyInput, UpdateHospitalDiscountPolicyInput } from './hospital.inputs';

/** Caps above 10 million yuan are typos. */
const MAX_CAP_FEN = 1_000_000_000;

function checkTerms(terms: { rateBasisPoints?: number | null; perClaimCapFen?: number | null; annualCapFen?: number | null }, prefix: string): void {
  const { rateBasisPoints, perClaimCapFen, annualCapFen } = terms;
  if (rateBasisPoints != null && (!Number.isInteger(rateBasisPoints) || rateBasisPoints < 1 || rateBasisPoints > 10_000)) {
    throw HospitalErrors.badInput('rateBasisPoints must be 1..10000 (1000 = 10%)', `${prefix}.rateBasisPoints`);
  }
  for (const [field, value] of [
    ['perClaimCapFen', perClaimCapFen],
    ['annualCapFen', annualCapFen],
  ] as const) {
    if (value != null && (!Number.isInteger(value) || value < 1 || value > MAX_CAP_FEN)) {
      throw HospitalErrors.badInput(`${field} must be 1 .. ${MAX_CAP_FEN} fen`, `${prefix}.${field}`);
    }
  }
}

function checkName(name: string): string {
  const value = name.trim();
  if (value.length < 1 || value.length > 200) throw HospitalErrors.badInput('hospitalName must have 1 to 200 characters', 'input.hospitalName');
  return value;
}

/**
 * The gateway owns the partner registry; this service only keeps the name hospitals are printed
 * with. Without a name in the input it takes one it already knows: a demo hospital's, or the one
 * the hospital has under another program.
 */
async function knownHospitalName(ctx: BenefitContext, hospitalPartnerId: string): Promise<string | null> {
  const demo = Object.values(DEMO_PARTNERS).find((p) => p.id === hospitalPartnerId && p.kind === 'HOSPITAL');
  if (demo) return demo.name;
  const rows: Array<{ hospital_name: string }> = await ctx.db.query(
    `SELECT hospital_name FROM hospital_discount_policies WHERE hospital_partner_id = $1 ORDER BY created_at DESC LIMIT 1`,
    [hospitalPartnerId],
  );
  return rows[0]?.hospital_name ?? null;
}

async function managedProgram(ctx: BenefitContext, programId: string, field: string): Promise<BenefitProgramEntity> {
  const program = isUuid(programId) ? await ctx.loaders.programById.load(programId) : null;
  if (!program) throw HospitalErrors.notFound('program');
  await assertSponsorInCallerSubtree(ctx, program.sponsorOrganizationId);
  if (program.kind !== 'HOSPITAL_DISCOUNT') throw HospitalErrors.badInput('hospital policies belong to HOSPITAL_DISCOUNT programs', field);
  return program;
}

async function managedPolicy(ctx: BenefitContext, policyId: string): Promise<HospitalDiscountPolicyEntity> {
  const policy = isUuid(policyId) ? await ctx.loaders.policyById.load(policyId) : null;
  if (!policy) throw HospitalErrors.notFound('policy');
  await managedProgram(ctx, policy.programId, 'policyId');
  return policy;
}

export async function createPolicy(ctx: BenefitContext, input: CreateHospitalDiscountPolicyInput): Promise<HospitalDiscountPolicyEntity> {
  checkTerms(input, 'input');
  if (!isUuid(input.hospitalPartnerId)) throw HospitalErrors.badInput('hospitalPartnerId is not a partner id', 'input.hospitalPartnerId');
  const program = await managedProgram(ctx, input.programId, 'input.programId');
  const validFrom = input.validFrom ?? program.validFrom;
  const validTo = input.validTo ?? program.validTo;
  if (validTo.getTime() <= validFrom.getTime()) throw HospitalErrors.badInput('validTo must be after validFrom', 'input.validTo');
  const hospitalName = input.hospitalName != null ? checkName(input.hospitalName) : await knownHospitalName(ctx, input.hospitalPartnerId);
  if (!hospitalName) throw HospitalErrors.badInput('hospitalName is required for a hospital without another policy', 'input.hospitalName');
  try {
    const rows: Array<Record<string, unknown>> = await ctx.db.query(
      `INSERT INTO hospital_discount_policies AS p (id, program_id, hospital_partner_id, hospital_name, rate_basis_points, per_claim_cap_fen,
                                                    annual_cap_fen, valid_from, valid_to, created_by_partner_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       RETURNING ${POLICY_COLUMNS}`,
      [
        randomUUID(),
        program.id,
        input.hospitalPartnerId,
        hospitalName,
        input.rateBasisPoints,
        input.perClaimCapFen,
        input.annualCapFen,
        validFrom,
        validTo,
        isUuid(ctx.principal.id) ? ctx.principal.id : null,
      ],
    );
    return policyFromRow(rows[0]);
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw HospitalErrors.badInput('this hospital already has an open policy in this program; update or close it', 'input.hospitalPartnerId');
    }
    throw error;
  }
}

export async function updatePolicy(ctx: BenefitContext, policyId: string, input: UpdateHospitalDiscountPolicyInput): Promise<HospitalDiscountPolicyEntity> {
  checkTerms(input, 'input');
  const policy = await managedPolicy(ctx, policyId);
  if (policy.closedAt) throw HospitalErrors.badInput('the policy is closed; create a new one', 'policyId');
  const validFrom = input.validFrom ?? policy.validFrom;
  const validTo = input.validTo ?? policy.validTo;
  if (validTo.getTime() <= validFrom.getTime()) throw HospitalErrors.badInput('validTo must be after validFrom', 'input.validTo');
  const updated = await rowsOf(
    ctx.db,
    `UPDATE hospital_discount_policies p
        SET rate_basis_points = coalesce($2, p.rate_basis_points), per_claim_cap_fen = coalesce($3, p.per_claim_cap_fen),
            annual_cap_fen = coalesce($4, p.annual_cap_fen), hospital_name = coalesce($5, p.hospital_name),
            valid_from = $6, valid_to = $7, updated_at = now()
      WHERE p.id = $1 AND p.closed_at IS NULL
      RETURNING ${POLICY_COLUMNS}`,
    [
      policy.id,
      input.rateBasisPoints ?? null,
      input.perClaimCapFen ?? null,
      input.annualCapFen ?? null,
      input.hospitalName != null ? checkName(input.hospitalName) : null,
      validFrom,
      validTo,
    ],
  );
  if (!updated[0]) throw HospitalErrors.badInput('the policy is closed; create a new one', 'policyId');
  return policyFromRow(updated[0]);
}

/** Closes a policy: no claims under it from now on. Closing again answers the closed policy. */
export async function closePolicy(ctx: BenefitContext, policyId: string): Promise<HospitalDiscountPolicyEntity> {
  const policy = await managedPolicy(ctx, policyId);
  const closed = await rowsOf(
    ctx.db,
    `UPDATE hospital_discount_policies p SET closed_at = coalesce(p.closed_at, now()), updated_at = now()
      WHERE p.id = $1 RETURNING ${POLICY_COLUMNS}`,
    [policy.id],
  );
  return policyFromRow(closed[0]);
}
