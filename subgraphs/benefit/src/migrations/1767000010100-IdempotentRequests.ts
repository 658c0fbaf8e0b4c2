import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retry safety for claimVoucher and grantVouchers: the first answer to an idempotency key,
 * written in the same transaction as the claim or grant it describes, so a lost answer can be
 * asked for again and two identical requests racing each other take one claim.
 */
export class IdempotentRequests1767000010100 implements MigrationInterface {
  name = 'IdempotentRequests1767000010100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE idempotent_requests (
        caller_kind text NOT NULL,
        caller_id uuid NOT NULL,
        idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
        operation text NOT NULL,
        fingerprint text NOT NULL,
        outcome jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (caller_kind, caller_id, idempotency_key)
      )`);
    await q.query(`CREATE INDEX idempotent_requests_created_at ON idempotent_requests (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotent_requests`);
  }
}
