import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A member's ledger is read in `seq` order (points_transactions_member_seq_idx): lines of one
 * operation share one instant, so created_at cannot order them. The first migration's index on
 * (member_id, created_at, id) has served no query since, yet every ledger line still paid for it.
 */
export class DropLedgerTimeIndex1767000003300 implements MigrationInterface {
  name = 'DropLedgerTimeIndex1767000003300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX points_transactions_member_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX points_transactions_member_idx ON points_transactions (member_id, created_at DESC, id DESC)`);
  }
}
