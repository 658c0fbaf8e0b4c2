import { groupedLoader, keyedLoader } from '@union/common';
import type { DataSource } from 'typeorm';
import { CLAIM_COLUMNS, claimFromRow, type DiscountClaimEntity, type HospitalDiscountPolicyEntity, POLICY_COLUMNS, policyFromRow } from './hospital.entity';

/** Per-request loaders of the hospital module: one statement per batch. */
export function hospitalLoaders(db: DataSource) {
  return {
    policyById: keyedLoader<string, HospitalDiscountPolicyEntity>(
      async (ids) => (await db.query(`SELECT ${POLICY_COLUMNS} FROM hospital_discount_policies p WHERE p.id = ANY($1)`, [ids])).map(policyFromRow),
      (p) => p.id,
    ),
    policiesByProgramId: groupedLoader<string, HospitalDiscountPolicyEntity>(
      async (ids) =>
        (await db.query(`SELECT ${POLICY_COLUMNS} FROM hospital_discount_policies p WHERE p.program_id = ANY($1) ORDER BY p.hospital_name, p.id`, [ids])).map(
          policyFromRow,
        ),
      (p) => p.programId,
    ),
    claimById: keyedLoader<string, DiscountClaimEntity>(
      async (ids) => (await db.query(`SELECT ${CLAIM_COLUMNS} FROM discount_claims c WHERE c.id = ANY($1)`, [ids])).map(claimFromRow),
      (c) => c.id,
    ),
  };
}

export type HospitalLoaders = ReturnType<typeof hospitalLoaders>;
