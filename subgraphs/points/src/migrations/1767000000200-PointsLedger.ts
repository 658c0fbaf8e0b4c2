import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Points are a currency: an append-only ledger of transactions plus one account row per member
 * holding the running balance. The database refuses a negative balance (CHECK) and any change to
 * a written transaction (trigger), so no code path can make a balance unexplainable.
 */
export class PointsLedger1767000000200 implements MigrationInterface {
  name = 'PointsLedger1767000000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE points_accounts (
        member_id uuid PRIMARY KEY,
        balance bigint NOT NULL DEFAULT 0 CHECK (balance >= 0),
        lifetime_earned bigint NOT NULL DEFAULT 0 CHECK (lifetime_earned >= 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE points_transactions (
        id uuid PRIMARY KEY,
        member_id uuid NOT NULL REFERENCES points_accounts(member_id),
        kind text NOT NULL CHECK (kind IN ('EARN', 'SPEND', 'EXPIRE', 'REVERSAL')),
        amount bigint NOT NULL CHECK (amount <> 0),
        balance_after bigint NOT NULL CHECK (balance_after >= 0),
        rule text CHECK (rule IN ('READ_ARTICLE', 'DAILY_SIGN_IN', 'REAL_NAME_VERIFIED', 'ACTIVITY')),
        source_ref text CHECK (length(source_ref) <= 200),
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CHECK ((kind = 'EARN') = (rule IS NOT NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX points_transactions_award_key ON points_transactions (member_id, rule, source_ref) WHERE kind = 'EARN'`);
    await q.query(`CREATE INDEX points_transactions_member_idx ON points_transactions (member_id, created_at DESC, id DESC)`);
    await q.query(`CREATE FUNCTION points_transactions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'points_transactions is append-only'; END $$`);
    await q.query(`CREATE TRIGGER points_transactions_immutable BEFORE UPDATE OR DELETE ON points_transactions
      FOR EACH ROW EXECUTE FUNCTION points_transactions_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE points_transactions, points_accounts`);
    await q.query(`DROP FUNCTION points_transactions_append_only`);
  }
}
