import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Card verifications (a partner checked a member's e-card code or paper card) and failed paper-card
 * name checks.
 *
 * A verification made from a rotating card code carries the digest of that code: the unique index
 * makes the first verifier win even when two partners scan the same screenshot at the same instant.
 * Paper-card failures are kept one row per failure for an hour (a sliding window), so "5 failures
 * in the last hour" is a count, not a counter that needs resetting.
 */
export class MemberVerification1767000001000 implements MigrationInterface {
  name = 'MemberVerification1767000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE member_verifications (
        id uuid PRIMARY KEY,
        member_id uuid NOT NULL REFERENCES members(id),
        partner_id uuid NOT NULL,
        purpose text NOT NULL CHECK (purpose IN ('HOSPITAL_DISCOUNT', 'VOUCHER_REDEMPTION', 'IDENTITY_CHECK')),
        method text NOT NULL CHECK (method IN ('CARD_TOKEN', 'CARD_NUMBER')),
        token_digest bytea UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        CHECK ((method = 'CARD_TOKEN') = (token_digest IS NOT NULL)),
        CHECK (expires_at > created_at)
      )`);
    await q.query(`CREATE INDEX member_verifications_member_idx ON member_verifications (member_id, created_at)`);

    await q.query(`
      CREATE TABLE card_number_failures (
        member_id uuid NOT NULL REFERENCES members(id),
        partner_id uuid NOT NULL,
        failed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX card_number_failures_member_idx ON card_number_failures (member_id, failed_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE card_number_failures, member_verifications`);
  }
}
