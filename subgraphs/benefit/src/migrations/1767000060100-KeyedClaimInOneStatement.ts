import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * claim_voucher_once(): a claim with an idempotency key and the answer stored under the key, in one
 * statement. The benefit subgraph sent such a claim as a transaction of its own: BEGIN, the key,
 * a savepoint, the claim, the answer, COMMIT, six round trips and a commit, so a rush whose member
 * apps sent keys (as an app that retries safely does) ran at about half the rate of one without.
 *
 * Same order and same guarantees as that transaction: the key first (an identical request in
 * flight makes this one wait on the key's primary-key entry, and then answer KEY_TAKEN without
 * touching the pool; an expired key is taken over), then claim_voucher() with p_wait, then the
 * answer under the key, as the caller rendered it in advance for each outcome in p_answers (the
 * voucher's id for CLAIMED, the refusals as the member is told them). An outcome the caller gave
 * no answer for (the claim window moved since the caller looked, the batch is gone) raises
 * SQLSTATE UV001: nothing is written, the key included, and the caller takes the long way, which
 * renders that answer with what it reads anew.
 */
export class KeyedClaimInOneStatement1767000060100 implements MigrationInterface {
  name = 'KeyedClaimInOneStatement1767000060100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION claim_voucher_once(
        p_caller_kind text, p_caller_id uuid, p_key text, p_fingerprint text, p_retention_hours int, p_answers jsonb,
        p_batch uuid, p_member uuid, p_start int, p_voucher uuid, p_codes text[], p_issued_at timestamptz,
        p_event uuid, p_event_data jsonb, p_audience text[],
        OUT outcome text, OUT code text, OUT valid_from timestamptz, OUT valid_to timestamptz)
      LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
      DECLARE
        answer jsonb;
      BEGIN
        INSERT INTO idempotent_requests AS r (caller_kind, caller_id, idempotency_key, operation, fingerprint, outcome)
          VALUES (p_caller_kind, p_caller_id, p_key, 'claimVoucher', p_fingerprint, '{}')
          ON CONFLICT (caller_kind, caller_id, idempotency_key) DO UPDATE
             SET operation = EXCLUDED.operation, fingerprint = EXCLUDED.fingerprint, outcome = EXCLUDED.outcome, created_at = now()
           WHERE r.created_at <= now() - make_interval(hours => p_retention_hours);
        IF NOT FOUND THEN outcome := 'KEY_TAKEN'; RETURN; END IF;

        SELECT c.outcome, c.code, c.valid_from, c.valid_to INTO outcome, code, valid_from, valid_to
          FROM claim_voucher(p_batch, p_member, p_start, p_voucher, p_codes, p_issued_at, p_event, p_event_data, p_audience, true) AS c;
        answer := p_answers -> outcome;
        IF answer IS NULL THEN
          RAISE EXCEPTION 'claim_voucher_once has no answer to store for %', outcome USING ERRCODE = 'UV001';
        END IF;
        UPDATE idempotent_requests SET outcome = answer
         WHERE caller_kind = p_caller_kind AND caller_id = p_caller_id AND idempotency_key = p_key;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION claim_voucher_once(text, uuid, text, text, int, jsonb, uuid, uuid, int, uuid, text[], timestamptz, uuid, jsonb, text[])`);
  }
}
