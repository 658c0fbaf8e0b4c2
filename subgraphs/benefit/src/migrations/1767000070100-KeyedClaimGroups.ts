import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * claim_vouchers_under_keys(): a group of claims of one batch some of which carry an idempotency
 * key, as one statement and one commit, as claim_vouchers() is for claims without one. A rush whose
 * member apps send keys paid a statement and a commit per claim (claim_voucher_once()).
 *
 * p_keys has one element per claim: null, or {callerKind, callerId, key, fingerprint, answers} where answers
 * holds the answer to store for each outcome, rendered by the caller (as for claim_voucher_once()).
 * The lock order of every keyed write holds: first the keys, in key order (so two groups never wait
 * for each other's keys), then what claim_vouchers() takes (counter rows in member order, stripes
 * without waiting). A key another request holds makes the group wait for it, as a lone keyed claim
 * does; then, or for a key taken before, the claim answers KEY_TAKEN and is not made. A key given
 * twice in the group is taken by its first claim; the others answer KEY_TAKEN.
 *
 * The claims whose keys were taken here (and those without a key) go to claim_vouchers(); each
 * answer is stored under its key. Where the caller rendered no answer for the outcome (SEND_ALONE,
 * a window that moved, a batch gone), the key is given back (its row deleted) and the claim answers
 * SEND_ALONE, so that it is made again alone (claim_voucher_once(), and from there the long way), and
 * so do the claims that gave the same key.
 */
export class KeyedClaimGroups1767000070100 implements MigrationInterface {
  name = 'KeyedClaimGroups1767000070100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION claim_vouchers_under_keys(
        p_keys jsonb, p_retention_hours int,
        p_batch uuid, p_members uuid[], p_starts int[], p_vouchers uuid[], p_codes text[], p_codes_per_claim int,
        p_issued_at timestamptz[], p_events uuid[], p_event_data jsonb[], p_audiences jsonb,
        OUT ord int, OUT outcome text, OUT code text, OUT valid_from timestamptz, OUT valid_to timestamptz)
      RETURNS SETOF record LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
      DECLARE
        claims int := coalesce(array_length(p_members, 1), 0);
        taken int[];
        sent int[];
        given_back jsonb := '[]';
        claim_key jsonb;
        answer jsonb;
        made record;
      BEGIN
        WITH wanted AS (
          SELECT k.i::int AS i, k.v ->> 'callerKind' AS kind, (k.v ->> 'callerId')::uuid AS id, k.v ->> 'key' AS key, k.v ->> 'fingerprint' AS fingerprint
            FROM jsonb_array_elements(p_keys) WITH ORDINALITY AS k(v, i)
           WHERE jsonb_typeof(k.v) = 'object'
        ), firsts AS (
          SELECT DISTINCT ON (kind, id, key) * FROM wanted ORDER BY kind, id, key, i
        ), inserted AS (
          INSERT INTO idempotent_requests AS r (caller_kind, caller_id, idempotency_key, operation, fingerprint, outcome)
            SELECT kind, id, key, 'claimVoucher', fingerprint, '{}' FROM firsts ORDER BY kind, id, key
            ON CONFLICT (caller_kind, caller_id, idempotency_key) DO UPDATE
               SET operation = EXCLUDED.operation, fingerprint = EXCLUDED.fingerprint, outcome = EXCLUDED.outcome, created_at = now()
             WHERE r.created_at <= now() - make_interval(hours => p_retention_hours)
            RETURNING r.caller_kind, r.caller_id, r.idempotency_key
        )
        SELECT coalesce(array_agg(f.i), '{}') INTO taken
          FROM firsts f JOIN inserted t ON (t.caller_kind, t.caller_id, t.idempotency_key) = (f.kind, f.id, f.key);
        sent := ARRAY(SELECT i FROM generate_series(1, claims) AS i WHERE jsonb_typeof(p_keys -> (i - 1)) IS DISTINCT FROM 'object' OR i = ANY (taken) ORDER BY i);

        IF array_length(sent, 1) > 0 THEN
          FOR made IN
            SELECT * FROM claim_vouchers(
              p_batch,
              ARRAY(SELECT p_members[s.i] FROM unnest(sent) WITH ORDINALITY AS s(i, n) ORDER BY s.n),
              ARRAY(SELECT p_starts[s.i] FROM unnest(sent) WITH ORDINALITY AS s(i, n) ORDER BY s.n),
              ARRAY(SELECT p_vouchers[s.i] FROM unnest(sent) WITH ORDINALITY AS s(i, n) ORDER BY s.n),
              ARRAY(SELECT p_codes[(s.i - 1) * p_codes_per_claim + c]
                      FROM unnest(sent) WITH ORDINALITY AS s(i, n), generate_series(1, p_codes_per_claim) AS c ORDER BY s.n, c),
              p_codes_per_claim,
              ARRAY(SELECT p_issued_at[s.i] FROM unnest(sent) WITH ORDINALITY AS s(i, n) ORDER BY s.n),
              ARRAY(SELECT p_events[s.i] FROM unnest(sent) WITH ORDINALITY AS s(i, n) ORDER BY s.n),
              ARRAY(SELECT p_event_data[s.i] FROM unnest(sent) WITH ORDINALITY AS s(i, n) ORDER BY s.n),
              (SELECT jsonb_agg(p_audiences -> (s.i - 1) ORDER BY s.n) FROM unnest(sent) WITH ORDINALITY AS s(i, n)))
          LOOP
            ord := sent[made.ord];
            outcome := made.outcome;
            code := made.code;
            valid_from := made.valid_from;
            valid_to := made.valid_to;
            claim_key := p_keys -> (ord - 1);
            IF jsonb_typeof(claim_key) = 'object' THEN
              answer := claim_key -> 'answers' -> outcome;
              IF answer IS NULL THEN
                DELETE FROM idempotent_requests
                 WHERE caller_kind = claim_key ->> 'callerKind' AND caller_id = (claim_key ->> 'callerId')::uuid AND idempotency_key = claim_key ->> 'key';
                given_back := given_back || jsonb_build_array(jsonb_build_array(claim_key -> 'callerKind', claim_key -> 'callerId', claim_key -> 'key'));
                outcome := 'SEND_ALONE';
                code := NULL;
                valid_from := NULL;
                valid_to := NULL;
              ELSE
                UPDATE idempotent_requests SET outcome = answer
                 WHERE caller_kind = claim_key ->> 'callerKind' AND caller_id = (claim_key ->> 'callerId')::uuid AND idempotency_key = claim_key ->> 'key';
              END IF;
            END IF;
            RETURN NEXT;
          END LOOP;
        END IF;

        -- The claims whose key was not taken here.
        FOR i IN 1 .. claims LOOP
          CONTINUE WHEN i = ANY (sent);
          claim_key := p_keys -> (i - 1);
          ord := i;
          code := NULL;
          valid_from := NULL;
          valid_to := NULL;
          outcome := CASE WHEN given_back @> jsonb_build_array(jsonb_build_array(claim_key -> 'callerKind', claim_key -> 'callerId', claim_key -> 'key'))
                          THEN 'SEND_ALONE' ELSE 'KEY_TAKEN' END;
          RETURN NEXT;
        END LOOP;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION claim_vouchers_under_keys(jsonb, int, uuid, uuid[], int[], uuid[], text[], int, timestamptz[], uuid[], jsonb[], jsonb)`);
  }
}
