import type { MigrationInterface, QueryRunner } from 'typeorm';

/** How many counter rows a batch's pool is split into (fewer when the batch is smaller). */
export const VOUCHER_POOL_STRIPES = 16;

/** claim_voucher() as this migration made it (ClaimWaitsHoldingNoStripe goes back to it on the way down). */
export const CLAIM_VOUCHER_STRIPED = `
      CREATE FUNCTION claim_voucher(
        p_batch uuid, p_member uuid, p_start int, p_voucher uuid, p_codes text[], p_issued_at timestamptz,
        p_event uuid, p_event_data jsonb, p_audience text[],
        OUT outcome text, OUT code text, OUT valid_from timestamptz, OUT valid_to timestamptz)
      LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
      DECLARE
        batch voucher_batches%ROWTYPE;
        picked smallint;
        candidate text;
      BEGIN
        SELECT * INTO batch FROM voucher_batches WHERE id = p_batch;
        IF NOT FOUND THEN outcome := 'NOT_FOUND'; RETURN; END IF;
        IF p_issued_at < batch.claim_starts_at OR p_issued_at >= batch.claim_ends_at THEN outcome := 'CLAIM_NOT_OPEN'; RETURN; END IF;
        -- The tail of a rush: nothing left, so no counter row is written and then taken back.
        IF NOT EXISTS (SELECT 1 FROM voucher_batch_stripes s WHERE s.batch_id = p_batch AND s.claimed < s.quantity) THEN
          outcome := 'SOLD_OUT'; RETURN;
        END IF;

        INSERT INTO voucher_member_claims AS c (batch_id, member_id, claimed, claim_limit) VALUES (p_batch, p_member, 1, batch.per_member_limit)
          ON CONFLICT (batch_id, member_id) DO UPDATE SET claimed = c.claimed + 1 WHERE c.claimed < c.claim_limit;
        IF NOT FOUND THEN outcome := 'LIMIT_REACHED'; RETURN; END IF;

        -- A stripe with vouchers left, from p_start on: first one no other claim holds right now,
        -- else wait for one (SKIP LOCKED alone would call a pool sold out while others hold it).
        -- The wait goes in stripe order, as grants lock them: a stripe found full after waiting
        -- stays locked until commit, so a wrap-around order could wait in a cycle with a grant.
        SELECT s.stripe INTO picked FROM voucher_batch_stripes s WHERE s.batch_id = p_batch AND s.claimed < s.quantity
          ORDER BY s.stripe < p_start, s.stripe LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED;
        IF picked IS NULL THEN
          SELECT s.stripe INTO picked FROM voucher_batch_stripes s WHERE s.batch_id = p_batch AND s.claimed < s.quantity
            ORDER BY s.stripe LIMIT 1 FOR NO KEY UPDATE;
        END IF;
        IF picked IS NULL THEN
          UPDATE voucher_member_claims SET claimed = claimed - 1 WHERE batch_id = p_batch AND member_id = p_member;
          outcome := 'SOLD_OUT';
          RETURN;
        END IF;
        UPDATE voucher_batch_stripes SET claimed = claimed + 1 WHERE batch_id = p_batch AND stripe = picked;

        IF batch.valid_days_after_claim IS NULL THEN
          valid_from := batch.valid_from;
          valid_to := batch.valid_to;
        ELSE
          valid_from := GREATEST(batch.valid_from, p_issued_at);
          valid_to := LEAST(valid_from + make_interval(days => batch.valid_days_after_claim), batch.valid_to);
        END IF;
        -- Codes carry 80 random bits; a collision only moves on to the next candidate.
        FOREACH candidate IN ARRAY p_codes LOOP
          INSERT INTO vouchers (id, batch_id, member_id, code, status, valid_from, valid_to, issued_at)
            VALUES (p_voucher, p_batch, p_member, candidate, 'ISSUED', valid_from, valid_to, p_issued_at)
            ON CONFLICT ON CONSTRAINT vouchers_code_key DO NOTHING;
          IF FOUND THEN code := candidate; EXIT; END IF;
        END LOOP;
        IF code IS NULL THEN RAISE EXCEPTION 'could not find an unused voucher code'; END IF;

        INSERT INTO event_outbox (id, type, subject_id, data, audience)
          VALUES (p_event, 'VOUCHER_CLAIMED', p_voucher::text,
                  p_event_data || jsonb_build_object('validFrom', to_char(valid_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                                                     'validTo', to_char(valid_to AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
                  p_audience);
        outcome := 'CLAIMED';
      END $$`;

/**
 * A batch's pool as striped counter rows instead of one `claimed` column on the batch row.
 *
 * Every claim used to take `UPDATE voucher_batches SET claimed = claimed + 1` and so held the one
 * batch row until commit: a rush ran one claim at a time (176 claims/s on the bench). Now the
 * quantity is split over up to VOUCHER_POOL_STRIPES rows of voucher_batch_stripes; a claim takes
 * one unit from a stripe picked at random, skipping stripes other claims hold right now and
 * falling back to the others when its stripe is empty. The exact count stays in the database:
 * each stripe has CHECK (claimed <= quantity), the stripes' quantities add up to
 * voucher_batches.total_quantity (triggers below keep that true on insert and on any change of
 * total_quantity), and the batch's claimed count is the sum of its stripes.
 *
 * claim_voucher() is the whole claim in one statement (one round trip, plans cached per session):
 * the claim window, the member's counter (LIMIT_REACHED), a stripe (SOLD_OUT), the voucher and its
 * VOUCHER_CLAIMED event, all or nothing. Locks are taken in the same order as grants take them
 * (the member's counter row, then stripes), so the two never deadlock.
 */
export class StripedVoucherPools1767000020100 implements MigrationInterface {
  name = 'StripedVoucherPools1767000020100';

  async up(q: QueryRunner): Promise<void> {
    // No foreign key points at a stripe, so claims take no KEY SHARE locks on them.
    await q.query(`
      CREATE TABLE voucher_batch_stripes (
        batch_id uuid NOT NULL REFERENCES voucher_batches(id),
        stripe smallint NOT NULL CHECK (stripe >= 0),
        quantity int NOT NULL,
        claimed int NOT NULL DEFAULT 0,
        PRIMARY KEY (batch_id, stripe),
        CONSTRAINT voucher_batch_stripes_pool CHECK (claimed >= 0 AND claimed <= quantity)
      )`);

    // Splits total_quantity over the stripes: on a new batch evenly; on a changed total, what is
    // left unclaimed is spread again (a total below what was claimed is refused like the old CHECK).
    await q.query(`
      CREATE FUNCTION voucher_batch_stripes_fit() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
      DECLARE
        stripes int;
        taken int;
        spare int;
      BEGIN
        IF TG_OP = 'INSERT' THEN
          stripes := LEAST(NEW.total_quantity, ${VOUCHER_POOL_STRIPES});
          INSERT INTO voucher_batch_stripes (batch_id, stripe, quantity, claimed)
            SELECT NEW.id, i, NEW.total_quantity / stripes + (i < NEW.total_quantity % stripes)::int, 0 FROM generate_series(0, stripes - 1) AS i;
          RETURN NULL;
        END IF;
        PERFORM 1 FROM voucher_batch_stripes WHERE batch_id = NEW.id ORDER BY stripe FOR NO KEY UPDATE;
        SELECT count(*), coalesce(sum(claimed), 0) INTO stripes, taken FROM voucher_batch_stripes WHERE batch_id = NEW.id;
        spare := NEW.total_quantity - taken;
        IF spare < 0 THEN
          RAISE EXCEPTION 'total_quantity % is below the % vouchers already claimed', NEW.total_quantity, taken
            USING ERRCODE = 'check_violation', CONSTRAINT = 'voucher_batches_pool', TABLE = 'voucher_batches';
        END IF;
        UPDATE voucher_batch_stripes SET quantity = claimed + spare / stripes + (stripe < spare % stripes)::int WHERE batch_id = NEW.id;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER voucher_batch_stripes_on_insert AFTER INSERT ON voucher_batches FOR EACH ROW EXECUTE FUNCTION voucher_batch_stripes_fit()`);
    await q.query(`
      CREATE TRIGGER voucher_batch_stripes_on_resize AFTER UPDATE OF total_quantity ON voucher_batches
        FOR EACH ROW WHEN (OLD.total_quantity IS DISTINCT FROM NEW.total_quantity) EXECUTE FUNCTION voucher_batch_stripes_fit()`);

    // Existing batches: evenly split, what they had claimed filled into the stripes in order.
    await q.query(`
      INSERT INTO voucher_batch_stripes (batch_id, stripe, quantity, claimed)
      SELECT s.batch_id, s.stripe, s.quantity, LEAST(s.quantity, GREATEST(0, s.claimed_total - s.before))
        FROM (SELECT b.id AS batch_id, i AS stripe, b.claimed AS claimed_total,
                     b.total_quantity / n.stripes + (i < b.total_quantity % n.stripes)::int AS quantity,
                     sum(b.total_quantity / n.stripes + (i < b.total_quantity % n.stripes)::int) OVER (PARTITION BY b.id ORDER BY i) -
                       (b.total_quantity / n.stripes + (i < b.total_quantity % n.stripes)::int) AS before
                FROM voucher_batches b
                CROSS JOIN LATERAL (SELECT LEAST(b.total_quantity, ${VOUCHER_POOL_STRIPES}) AS stripes) n
                CROSS JOIN LATERAL generate_series(0, n.stripes - 1) AS i) s`);
    await q.query(`ALTER TABLE voucher_batches DROP CONSTRAINT voucher_batches_pool, DROP COLUMN claimed`);

    await q.query(CLAIM_VOUCHER_STRIPED);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION claim_voucher(uuid, uuid, int, uuid, text[], timestamptz, uuid, jsonb, text[])`);
    await q.query(`ALTER TABLE voucher_batches ADD COLUMN claimed int NOT NULL DEFAULT 0`);
    await q.query(`UPDATE voucher_batches b SET claimed = (SELECT coalesce(sum(s.claimed), 0) FROM voucher_batch_stripes s WHERE s.batch_id = b.id)`);
    await q.query(`ALTER TABLE voucher_batches ADD CONSTRAINT voucher_batches_pool CHECK (claimed >= 0 AND claimed <= total_quantity)`);
    await q.query(`DROP TRIGGER voucher_batch_stripes_on_resize ON voucher_batches`);
    await q.query(`DROP TRIGGER voucher_batch_stripes_on_insert ON voucher_batches`);
    await q.query(`DROP FUNCTION voucher_batch_stripes_fit()`);
    await q.query(`DROP TABLE voucher_batch_stripes`);
  }
}
