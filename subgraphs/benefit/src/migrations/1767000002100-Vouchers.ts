import type { MigrationInterface, QueryRunner } from 'typeorm';

const CODE_PATTERN = `^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$`;

/**
 * Voucher batches (limited pools), who may redeem them, per-member claim counters, redemptions,
 * and a per-partner counter of failed redemption attempts.
 *
 * The two classic voucher failures are made impossible in the database, not in JavaScript:
 * - overselling: voucher_batches.claimed never passes total_quantity (CHECK, and every claim is a
 *   guarded `UPDATE ... WHERE claimed < total_quantity`); voucher_member_claims.claimed never
 *   passes claim_limit (CHECK, guarded upsert), both in the claim's transaction.
 * - double redemption: a voucher leaves ISSUED only through a guarded UPDATE, and at most one
 *   COMPLETED redemption may exist per voucher (partial unique index) as a second line.
 */
export class Vouchers1767000002100 implements MigrationInterface {
  name = 'Vouchers1767000002100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE voucher_batches (
        id uuid PRIMARY KEY,
        program_id uuid NOT NULL REFERENCES benefit_programs(id),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        voucher_kind text NOT NULL CHECK (voucher_kind IN
          ('RIDE', 'HOTEL', 'FLIGHT', 'MOVIE', 'SWIMMING', 'RECUPERATION', 'MEAL', 'HEALTH_CHECK', 'FITNESS', 'GENERAL')),
        face_value_fen int NOT NULL CHECK (face_value_fen > 0),
        min_spend_fen int NOT NULL DEFAULT 0 CHECK (min_spend_fen >= 0),
        total_quantity int NOT NULL CHECK (total_quantity > 0),
        claimed int NOT NULL DEFAULT 0,
        per_member_limit int NOT NULL CHECK (per_member_limit >= 1),
        claim_starts_at timestamptz NOT NULL,
        claim_ends_at timestamptz NOT NULL,
        valid_from timestamptz NOT NULL,
        valid_to timestamptz NOT NULL,
        valid_days_after_claim int CHECK (valid_days_after_claim BETWEEN 1 AND 3660),
        real_name_verified_only boolean NOT NULL DEFAULT false,
        created_by_partner_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT voucher_batches_pool CHECK (claimed >= 0 AND claimed <= total_quantity),
        CHECK (claim_ends_at > claim_starts_at),
        CHECK (valid_to > valid_from)
      )`);
    await q.query(`CREATE INDEX voucher_batches_program_idx ON voucher_batches (program_id, created_at, id)`);

    // Partner ids come from the gateway's partner registry: no foreign key across services.
    await q.query(`
      CREATE TABLE voucher_batch_partners (
        batch_id uuid NOT NULL REFERENCES voucher_batches(id),
        partner_id uuid NOT NULL,
        PRIMARY KEY (batch_id, partner_id)
      )`);

    // One row per (batch, member) that ever claimed or was granted: the per-member limit is a
    // guarded upsert on this row, so two concurrent claims of one member serialize on it.
    await q.query(`
      CREATE TABLE voucher_member_claims (
        batch_id uuid NOT NULL REFERENCES voucher_batches(id),
        member_id uuid NOT NULL,
        claimed int NOT NULL,
        claim_limit int NOT NULL,
        PRIMARY KEY (batch_id, member_id),
        CONSTRAINT voucher_member_claims_limit CHECK (claimed >= 0 AND claimed <= claim_limit)
      )`);

    // The vouchers table predates batches (BenefitFoundation); it is still empty here.
    await q.query(`ALTER TABLE vouchers ADD CONSTRAINT vouchers_batch_fk FOREIGN KEY (batch_id) REFERENCES voucher_batches(id)`);
    await q.query(`ALTER TABLE vouchers ADD CONSTRAINT vouchers_code_format CHECK (code ~ '${CODE_PATTERN}')`);
    await q.query(`ALTER TABLE vouchers ADD CONSTRAINT vouchers_validity CHECK (valid_to > valid_from)`);
    await q.query(`ALTER TABLE vouchers ADD COLUMN granted_by_partner_id uuid`);

    await q.query(`
      CREATE TABLE redemptions (
        id uuid PRIMARY KEY,
        voucher_id uuid NOT NULL REFERENCES vouchers(id),
        batch_id uuid NOT NULL REFERENCES voucher_batches(id),
        program_id uuid NOT NULL REFERENCES benefit_programs(id),
        partner_id uuid NOT NULL,
        partner_order_id text NOT NULL CHECK (length(partner_order_id) BETWEEN 1 AND 128),
        order_amount_fen int NOT NULL CHECK (order_amount_fen > 0),
        discount_fen int NOT NULL CHECK (discount_fen > 0 AND discount_fen <= order_amount_fen),
        status text NOT NULL CHECK (status IN ('COMPLETED', 'CANCELLED')),
        created_at timestamptz NOT NULL DEFAULT now(),
        cancelled_at timestamptz,
        cancel_reason text,
        CHECK ((status = 'CANCELLED') = (cancelled_at IS NOT NULL)),
        CONSTRAINT redemptions_partner_order_key UNIQUE (partner_id, partner_order_id)
      )`);
    await q.query(`CREATE UNIQUE INDEX redemptions_one_completed_per_voucher ON redemptions (voucher_id) WHERE status = 'COMPLETED'`);
    await q.query(`CREATE INDEX redemptions_voucher_idx ON redemptions (voucher_id, created_at DESC)`);
    await q.query(`CREATE INDEX redemptions_partner_time_idx ON redemptions (partner_id, created_at, id)`);
    await q.query(`CREATE INDEX redemptions_program_time_idx ON redemptions (program_id, created_at, id)`);
    await q.query(`CREATE INDEX redemptions_time_idx ON redemptions (created_at, id)`);

    // Refused validations and redemptions per partner, minute and reason: what a rate limiter
    // needs to bound code guessing. Only counters; a refused attempt writes nothing else.
    await q.query(`
      CREATE TABLE redemption_failures (
        partner_id uuid NOT NULL,
        window_start timestamptz NOT NULL,
        reason text NOT NULL,
        failures int NOT NULL CHECK (failures > 0),
        PRIMARY KEY (partner_id, window_start, reason)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE redemption_failures, redemptions`);
    await q.query(`ALTER TABLE vouchers DROP COLUMN granted_by_partner_id`);
    await q.query(`ALTER TABLE vouchers DROP CONSTRAINT vouchers_validity, DROP CONSTRAINT vouchers_code_format, DROP CONSTRAINT vouchers_batch_fk`);
    await q.query(`DROP TABLE voucher_member_claims, voucher_batch_partners, voucher_batches`);
  }
}
