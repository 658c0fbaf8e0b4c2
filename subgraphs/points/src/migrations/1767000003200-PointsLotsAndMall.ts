import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Expiry, earning caps and the points mall on top of the ledger.
 *
 * - Every EARN opens a lot (points_lots) with its own expiry date; spending takes from the lots
 *   that expire first, and every movement of points in or out of a lot is an append-only line of
 *   points_lot_movements tied to the ledger transaction that caused it. So a balance is
 *   explainable twice over: as the sum of its transactions and as the sum of its open lots.
 * - Earning caps are counters per (member, rule, period) whose CHECK refuses a total above the cap,
 *   so a cap holds whatever the concurrency.
 * - Rewards carry their stock with CHECK (stock >= 0); orders remember the SPEND they caused and,
 *   once cancelled, the REVERSAL that gave it back.
 */
export class PointsLotsAndMall1767000003200 implements MigrationInterface {
  name = 'PointsLotsAndMall1767000003200';

  async up(q: QueryRunner): Promise<void> {
    // Who wrote a line (partner or member id, or the expiry job): part of explaining a balance.
    await q.query(`ALTER TABLE points_transactions ADD COLUMN actor_kind text, ADD COLUMN actor_id text`);
    // Lines written by one operation share its instant (a cancel's REVERSAL and EXPIRE); the order
    // in which they were written, and so the chain of balanceAfter, is this sequence.
    await q.query(`ALTER TABLE points_transactions ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY`);
    await q.query(`CREATE UNIQUE INDEX points_transactions_member_seq_idx ON points_transactions (member_id, seq DESC)`);

    await q.query(`CREATE FUNCTION points_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$`);

    await q.query(`
      CREATE TABLE points_lots (
        id uuid PRIMARY KEY REFERENCES points_transactions(id),
        member_id uuid NOT NULL REFERENCES points_accounts(member_id),
        amount int NOT NULL CHECK (amount > 0),
        remaining int NOT NULL CHECK (remaining >= 0 AND remaining <= amount),
        earned_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL CHECK (expires_at > earned_at)
      )`);
    await q.query(`CREATE INDEX points_lots_spendable_idx ON points_lots (member_id, expires_at, earned_at, id) WHERE remaining > 0`);
    await q.query(`CREATE INDEX points_lots_due_idx ON points_lots (expires_at, member_id) WHERE remaining > 0`);

    await q.query(`
      CREATE TABLE points_lot_movements (
        transaction_id uuid NOT NULL REFERENCES points_transactions(id),
        lot_id uuid NOT NULL REFERENCES points_lots(id),
        amount int NOT NULL CHECK (amount <> 0),
        PRIMARY KEY (transaction_id, lot_id)
      )`);
    await q.query(`CREATE INDEX points_lot_movements_lot_idx ON points_lot_movements (lot_id)`);
    await q.query(`CREATE TRIGGER points_lot_movements_immutable BEFORE UPDATE OR DELETE ON points_lot_movements
      FOR EACH ROW EXECUTE FUNCTION points_append_only()`);

    await q.query(`
      CREATE TABLE points_earning_caps (
        member_id uuid NOT NULL REFERENCES points_accounts(member_id),
        rule text NOT NULL CHECK (rule IN ('READ_ARTICLE', 'DAILY_SIGN_IN', 'REAL_NAME_VERIFIED', 'ACTIVITY')),
        period text NOT NULL,
        points int NOT NULL CHECK (points > 0),
        cap int NOT NULL CHECK (cap > 0),
        CHECK (points <= cap),
        PRIMARY KEY (member_id, rule, period)
      )`);

    await q.query(`
      CREATE TABLE rewards (
        id uuid PRIMARY KEY,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        points_cost int NOT NULL CHECK (points_cost > 0),
        stock int NOT NULL CHECK (stock >= 0),
        created_by text,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX rewards_listing_idx ON rewards (created_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE reward_orders (
        id uuid PRIMARY KEY,
        member_id uuid NOT NULL REFERENCES points_accounts(member_id),
        reward_id uuid NOT NULL REFERENCES rewards(id),
        quantity int NOT NULL CHECK (quantity > 0),
        points_spent int NOT NULL CHECK (points_spent > 0),
        status text NOT NULL CHECK (status IN ('PLACED', 'CANCELLED')),
        spend_transaction_id uuid NOT NULL UNIQUE REFERENCES points_transactions(id),
        reversal_transaction_id uuid UNIQUE REFERENCES points_transactions(id),
        created_at timestamptz NOT NULL,
        cancelled_at timestamptz,
        cancelled_by text,
        CHECK ((status = 'CANCELLED') = (reversal_transaction_id IS NOT NULL)),
        CHECK ((status = 'CANCELLED') = (cancelled_at IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX reward_orders_member_idx ON reward_orders (member_id, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE reward_orders, rewards, points_earning_caps, points_lot_movements, points_lots`);
    await q.query(`DROP FUNCTION points_append_only`);
    await q.query(`ALTER TABLE points_transactions DROP COLUMN seq, DROP COLUMN actor_kind, DROP COLUMN actor_id`);
  }
}
