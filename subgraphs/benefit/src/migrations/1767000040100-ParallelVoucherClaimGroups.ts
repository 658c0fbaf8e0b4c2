import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CLAIM_VOUCHERS_IN_TURN } from './1767000030100-GroupedVoucherClaims';

/**
 * claim_vouchers() without the wait for every stripe: groups of one batch run side by side.
 *
 * The first version locked every stripe of the pool, so a batch's groups ran one after another
 * and a rush used one PostgreSQL core whatever the machine had (on 16 cores: about 900 claims/s,
 * half the rate of `me` reads). Now a group, after its members' counter rows (in member order, as
 * before), takes only stripes no other transaction holds (SKIP LOCKED, in order from the group's
 * first start) until they hold vouchers for all its claims, and never waits for a stripe: with
 * stripes taken that way, the only waits left are for counter rows, taken in order before any
 * stripe, so no group can be part of a cycle.
 *
 * Each claim is still claim_voucher(), started at the group's first stripe: while the group's
 * stripes hold vouchers for it, its SKIP LOCKED pass finds one of them and it waits for nothing.
 * Once they do not, a claim is answered in the group only where claim_voucher() answers without
 * a lock (the batch unknown, not open, or every stripe full in the committed state); otherwise
 * its outcome is SEND_ALONE and the benefit subgraph sends it as a lone claim, which may wait
 * for a stripe another transaction holds (the only way to know for sure that a pool is empty).
 */
export class ParallelVoucherClaimGroups1767000040100 implements MigrationInterface {
  name = 'ParallelVoucherClaimGroups1767000040100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION claim_vouchers(
        p_batch uuid, p_members uuid[], p_starts int[], p_vouchers uuid[], p_codes text[], p_codes_per_claim int,
        p_issued_at timestamptz[], p_events uuid[], p_event_data jsonb[], p_audiences jsonb,
        OUT ord int, OUT outcome text, OUT code text, OUT valid_from timestamptz, OUT valid_to timestamptz)
      RETURNS SETOF record LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
      DECLARE
        claim_limit int;
        claimed record;
        claims int := coalesce(array_length(p_members, 1), 0);
        first_stripe int := coalesce(p_starts[1], 0);
        free_stripes refcursor;
        free_in_stripe int;
        held int := 0;
        taken int := 0;
      BEGIN
        SELECT per_member_limit INTO claim_limit FROM voucher_batches WHERE id = p_batch;
        IF FOUND THEN
          INSERT INTO voucher_member_claims (batch_id, member_id, claimed, claim_limit)
            SELECT p_batch, m, 0, claim_limit FROM (SELECT DISTINCT unnest(p_members) AS m) AS members ORDER BY m
            ON CONFLICT (batch_id, member_id) DO NOTHING;
          PERFORM 1 FROM voucher_member_claims WHERE batch_id = p_batch AND member_id = ANY (p_members) ORDER BY member_id FOR UPDATE;
          -- One row per FETCH: a loop over the query would lock the rows it reads ahead too.
          OPEN free_stripes FOR
            SELECT s.quantity - s.claimed FROM voucher_batch_stripes s WHERE s.batch_id = p_batch AND s.claimed < s.quantity
             ORDER BY s.stripe < first_stripe, s.stripe FOR NO KEY UPDATE SKIP LOCKED;
          WHILE held < claims LOOP
            FETCH free_stripes INTO free_in_stripe;
            EXIT WHEN NOT FOUND;
            held := held + free_in_stripe;
          END LOOP;
          CLOSE free_stripes;
        END IF;
        FOR i IN 1 .. claims LOOP
          ord := i;
          IF taken < held OR NOT EXISTS (SELECT 1 FROM voucher_batch_stripes s WHERE s.batch_id = p_batch AND s.claimed < s.quantity) THEN
            SELECT * INTO claimed FROM claim_voucher(
              p_batch, p_members[i], first_stripe, p_vouchers[i],
              p_codes[(i - 1) * p_codes_per_claim + 1 : i * p_codes_per_claim],
              p_issued_at[i], p_events[i], p_event_data[i],
              ARRAY(SELECT jsonb_array_elements_text(p_audiences -> (i - 1))));
            IF claimed.outcome = 'CLAIMED' THEN taken := taken + 1; END IF;
            outcome := claimed.outcome;
            code := claimed.code;
            valid_from := claimed.valid_from;
            valid_to := claimed.valid_to;
          ELSE
            outcome := 'SEND_ALONE';
            code := NULL;
            valid_from := NULL;
            valid_to := NULL;
          END IF;
          RETURN NEXT;
        END LOOP;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(CLAIM_VOUCHERS_IN_TURN);
  }
}
