import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Benefit programs (funded by a union for its subtree), the vouchers members hold and the
 * per-member yearly usage of hospital discount programs. Member and organization ids refer to the
 * member subgraph; there is no foreign key across services, by design.
 */
export class BenefitFoundation1767000000100 implements MigrationInterface {
  name = 'BenefitFoundation1767000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE benefit_programs (
        id uuid PRIMARY KEY,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        kind text NOT NULL CHECK (kind IN ('HOSPITAL_DISCOUNT', 'TRAVEL_CARD', 'WELFARE_VOUCHER')),
        sponsor_organization_id uuid NOT NULL,
        valid_from timestamptz NOT NULL,
        valid_to timestamptz NOT NULL,
        created_by_partner_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (valid_to > valid_from)
      )`);
    await q.query(`CREATE INDEX benefit_programs_sponsor_idx ON benefit_programs (sponsor_organization_id, kind)`);

    await q.query(`
      CREATE TABLE vouchers (
        id uuid PRIMARY KEY,
        batch_id uuid NOT NULL,
        member_id uuid NOT NULL,
        code text NOT NULL UNIQUE,
        status text NOT NULL CHECK (status IN ('ISSUED', 'REDEEMED', 'EXPIRED', 'VOIDED')),
        valid_from timestamptz NOT NULL,
        valid_to timestamptz NOT NULL,
        issued_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX vouchers_member_idx ON vouchers (member_id, issued_at DESC, id DESC)`);
    await q.query(`CREATE INDEX vouchers_batch_member_idx ON vouchers (batch_id, member_id)`);

    // One row per (program, member, Asia/Shanghai year): the annual cap is enforced by a guarded
    // UPDATE on this row, so concurrent claims from different hospitals serialize on it.
    await q.query(`
      CREATE TABLE discount_usage (
        program_id uuid NOT NULL REFERENCES benefit_programs(id),
        member_id uuid NOT NULL,
        year int NOT NULL,
        used_fen bigint NOT NULL DEFAULT 0 CHECK (used_fen >= 0),
        PRIMARY KEY (member_id, program_id, year)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE discount_usage, vouchers, benefit_programs`);
  }
}
