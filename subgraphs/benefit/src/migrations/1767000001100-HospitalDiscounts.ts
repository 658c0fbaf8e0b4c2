import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hospital discount policies (one open policy per program and hospital) and the claims hospitals
 * make under them.
 *
 * The annual cap lives in discount_usage (BenefitFoundation): a claim locks the member's usage row
 * of the program and year, and a guarded UPDATE adds the discount only while it stays within the
 * cap. Claims are idempotent on (hospital, invoice number) through a unique index. Claims keep
 * the rate they were computed with, so a policy changed later does not rewrite old statements.
 */
export class HospitalDiscounts1767000001100 implements MigrationInterface {
  name = 'HospitalDiscounts1767000001100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE hospital_discount_policies (
        id uuid PRIMARY KEY,
        program_id uuid NOT NULL REFERENCES benefit_programs(id),
        hospital_partner_id uuid NOT NULL,
        hospital_name text NOT NULL CHECK (length(hospital_name) BETWEEN 1 AND 200),
        rate_basis_points int NOT NULL CHECK (rate_basis_points BETWEEN 1 AND 10000),
        per_claim_cap_fen bigint NOT NULL CHECK (per_claim_cap_fen > 0),
        annual_cap_fen bigint NOT NULL CHECK (annual_cap_fen > 0),
        valid_from timestamptz NOT NULL,
        valid_to timestamptz NOT NULL,
        created_by_partner_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        closed_at timestamptz,
        CHECK (valid_to > valid_from)
      )`);
    await q.query(`CREATE UNIQUE INDEX hospital_policies_open_idx ON hospital_discount_policies (program_id, hospital_partner_id) WHERE closed_at IS NULL`);
    await q.query(`CREATE INDEX hospital_policies_hospital_idx ON hospital_discount_policies (hospital_partner_id)`);

    await q.query(`
      CREATE TABLE discount_claims (
        id uuid PRIMARY KEY,
        hospital_partner_id uuid NOT NULL,
        invoice_number text NOT NULL CHECK (length(invoice_number) BETWEEN 1 AND 64),
        policy_id uuid NOT NULL REFERENCES hospital_discount_policies(id),
        program_id uuid NOT NULL REFERENCES benefit_programs(id),
        member_id uuid NOT NULL,
        verification_id uuid NOT NULL,
        usage_year int NOT NULL,
        rate_basis_points int NOT NULL,
        self_paid_fen bigint NOT NULL CHECK (self_paid_fen > 0),
        discount_fen bigint NOT NULL CHECK (discount_fen >= 0 AND discount_fen <= self_paid_fen),
        payable_fen bigint GENERATED ALWAYS AS (self_paid_fen - discount_fen) STORED,
        status text NOT NULL CHECK (status IN ('APPLIED', 'VOIDED')),
        created_at timestamptz NOT NULL,
        voided_at timestamptz,
        void_reason text,
        CHECK ((status = 'VOIDED') = (voided_at IS NOT NULL)),
        UNIQUE (hospital_partner_id, invoice_number)
      )`);
    await q.query(`CREATE INDEX discount_claims_hospital_time_idx ON discount_claims (hospital_partner_id, created_at, id)`);
    await q.query(`CREATE INDEX discount_claims_program_time_idx ON discount_claims (program_id, created_at, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE discount_claims, hospital_discount_policies`);
  }
}
