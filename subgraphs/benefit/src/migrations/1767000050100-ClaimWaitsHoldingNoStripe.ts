import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CLAIM_VOUCHER_STRIPED } from './1767000020100-StripedVoucherPools';

const CLAIM_VOUCHER_STRIPED_SIGNATURE = 'claim_voucher(uuid, uuid, int, uuid, text[], timestamptz, uuid, jsonb, text[])';

/**
 * claim_voucher() that waits for a stripe holding no other stripe, and waits only when asked.
 *
 * A claim first looks for a stripe with vouchers left that no other transaction holds (SKIP
 * LOCKED). A stripe that another claim filled and committed while this one looked is locked all
 * the same (PostgreSQL locks a row before it checks it again) and stayed locked until commit. When
 * the claim found no free stripe and went on to wait in stripe order, it could hold such a stripe
 * above the one it waited for, while the holder of that one (a claim doing the same, or a grant
 * locking every stripe in order) waited for it: at a pool's last stripes lone claims racing
 * deadlocked several times a round (7 in 10 rounds of 60 claims for 30 vouchers; 84 with four
 * grants among them), each cycle a second's stall before PostgreSQL broke it.
 *
 * Now the look runs in a block of its own (a subtransaction), with the stripe's update, so the two
 * share one transaction id (a lock taken in a block and a row updated outside it would cost a
 * MultiXact per claim). Finding no free stripe, it leaves the block by an exception, which lets go
 * of every stripe locked on the way, and the claim waits in stripe order holding none: waits for
 * stripes then only ever go upwards, from the counter row taken first, and there is no cycle.
 *
 * Waiting is asked for by p_wait, which a lone claim passes. claim_vouchers() calls with the
 * default: its groups never wait for a stripe (ParallelVoucherClaimGroups), so a claim of a group
 * that finds no free stripe gives its counter back and answers SEND_ALONE, which the benefit
 * subgraph sends as a lone claim. (Before, that rare claim, one that saw vouchers left in a pool
 * its group had found empty, waited inside its group.) Groups pay no subtransaction.
 */
export class ClaimWaitsHoldingNoStripe1767000050100 implements MigrationInterface {
  name = 'ClaimWaitsHoldingNoStripe1767000050100';

  async up(q: QueryRunner): Promise<void> {
    // A new parameter is a new function: the old one goes, so that a call with nine arguments
    // (claim_vouchers()) finds this one and its default.
    await q.query(`DROP FUNCTION ${CLAIM_VOUCHER_STRIPED_SIGNATURE}`);
    await q.query(`
      CREATE FUNCTION claim_voucher(
        p_batch uuid, p_member uuid, p_start int, p_voucher uuid, p_codes text[], p_issued_at timestamptz,
        p_event uuid, p_event_data jsonb, p_audience text[], p_wait boolean DEFAULT false,
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

        IF p_wait THEN
          BEGIN
            SELECT s.stripe INTO picked FROM voucher_batch_stripes s WHERE s.batch_id = p_batch AND s.claimed < s.quantity
              ORDER BY s.stripe < p_start, s.stripe LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED;
            IF picked IS NULL THEN RAISE EXCEPTION USING ERRCODE = 'lock_not_available'; END IF;
            UPDATE voucher_batch_stripes SET claimed = claimed + 1 WHERE batch_id = p_batch AND stripe = picked;
          EXCEPTION WHEN lock_not_available THEN
            picked := NULL;
          END;
          IF picked IS NULL THEN
            -- Every stripe with vouchers left is held: wait in stripe order (SKIP LOCKED alone would
            -- call a pool sold out while others hold it), as grants lock them.
            SELECT s.stripe INTO picked FROM voucher_batch_stripes s WHERE s.batch_id = p_batch AND s.claimed < s.quantity
              ORDER BY s.stripe LIMIT 1 FOR NO KEY UPDATE;
            IF picked IS NOT NULL THEN
              UPDATE voucher_batch_stripes SET claimed = claimed + 1 WHERE batch_id = p_batch AND stripe = picked;
            END IF;
          END IF;
        ELSE
          SELECT s.stripe INTO picked FROM voucher_batch_stripes s WHERE s.batch_id = p_batch AND s.claimed < s.quantity
            ORDER BY s.stripe < p_start, s.stripe LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED;
          IF picked IS NOT NULL THEN
            UPDATE voucher_batch_stripes SET claimed = claimed + 1 WHERE batch_id = p_batch AND stripe = picked;
          END IF;
        END IF;
        IF picked IS NULL THEN
          UPDATE voucher_member_claims SET claimed = claimed - 1 WHERE batch_id = p_batch AND member_id = p_member;
          outcome := CASE WHEN p_wait THEN 'SOLD_OUT' ELSE 'SEND_ALONE' END;
          RETURN;
        END IF;

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
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION claim_voucher(uuid, uuid, int, uuid, text[], timestamptz, uuid, jsonb, text[], boolean)`);
    await q.query(CLAIM_VOUCHER_STRIPED);
  }
}
