import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The function as this migration made it (ParallelVoucherClaimGroups goes back to it on the way down). */
export const CLAIM_VOUCHERS_IN_TURN = `
      CREATE OR REPLACE FUNCTION claim_vouchers(
        p_batch uuid, p_members uuid[], p_starts int[], p_vouchers uuid[], p_codes text[], p_codes_per_claim int,
        p_issued_at timestamptz[], p_events uuid[], p_event_data jsonb[], p_audiences jsonb,
        OUT ord int, OUT outcome text, OUT code text, OUT valid_from timestamptz, OUT valid_to timestamptz)
      RETURNS SETOF record LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
      DECLARE
        claim_limit int;
        claimed record;
      BEGIN
        SELECT per_member_limit INTO claim_limit FROM voucher_batches WHERE id = p_batch;
        IF FOUND THEN
          INSERT INTO voucher_member_claims (batch_id, member_id, claimed, claim_limit)
            SELECT p_batch, m, 0, claim_limit FROM (SELECT DISTINCT unnest(p_members) AS m) AS members ORDER BY m
            ON CONFLICT (batch_id, member_id) DO NOTHING;
          PERFORM 1 FROM voucher_member_claims WHERE batch_id = p_batch AND member_id = ANY (p_members) ORDER BY member_id FOR UPDATE;
          PERFORM 1 FROM voucher_batch_stripes WHERE batch_id = p_batch ORDER BY stripe FOR NO KEY UPDATE;
        END IF;
        FOR i IN 1 .. coalesce(array_length(p_members, 1), 0) LOOP
          SELECT * INTO claimed FROM claim_voucher(
            p_batch, p_members[i], p_starts[i], p_vouchers[i],
            p_codes[(i - 1) * p_codes_per_claim + 1 : i * p_codes_per_claim],
            p_issued_at[i], p_events[i], p_event_data[i],
            ARRAY(SELECT jsonb_array_elements_text(p_audiences -> (i - 1))));
          ord := i;
          outcome := claimed.outcome;
          code := claimed.code;
          valid_from := claimed.valid_from;
          valid_to := claimed.valid_to;
          RETURN NEXT;
        END LOOP;
      END $$`;

/**
 * claim_vouchers(): the claims of one voucher batch that a benefit process has in flight in one
 * turn of its event loop, as one statement and one commit. Each claim is still claim_voucher()
 * (the same checks, the same writes, the same outcomes); what a group saves is PostgreSQL's cost
 * per statement and per commit, and a round trip per claim.
 *
 * Lock order, the grants' own: first the counter rows of all the group's members, in member order
 * (rows that do not exist yet are made with 0 claimed), then every stripe of the pool, in stripe
 * order; only then the claims, one at a time, each of which finds its counter row and its stripe
 * already held by its own transaction and waits for nothing. A group that took stripes claim by
 * claim could hold one stripe (full in its own view, not in the committed one) while waiting for
 * another, and two groups could wait for each other in a cycle. Groups of one batch therefore run
 * one after another; each carries the claims that arrived meanwhile.
 * Outcomes come back in the order of the arrays (`ord`, from 1).
 */
export class GroupedVoucherClaims1767000030100 implements MigrationInterface {
  name = 'GroupedVoucherClaims1767000030100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(CLAIM_VOUCHERS_IN_TURN);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION claim_vouchers(uuid, uuid[], int[], uuid[], text[], int, timestamptz[], uuid[], jsonb[], jsonb)`);
  }
}
