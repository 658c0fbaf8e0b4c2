import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Member.vouchers pages by (issued_at, id) with the position carried in a cursor as a JavaScript
 * Date, which holds milliseconds. A microsecond timestamp would make the next page start before
 * the last row of the previous one, so the column itself is kept to milliseconds.
 */
export class VoucherIssuedAtMilliseconds1767000004100 implements MigrationInterface {
  name = 'VoucherIssuedAtMilliseconds1767000004100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE vouchers SET issued_at = date_trunc('milliseconds', issued_at) WHERE issued_at <> date_trunc('milliseconds', issued_at)`);
    await q.query(`ALTER TABLE vouchers ALTER COLUMN issued_at SET DEFAULT date_trunc('milliseconds', now())`);
    await q.query(`ALTER TABLE vouchers ADD CONSTRAINT vouchers_issued_at_milliseconds CHECK (issued_at = date_trunc('milliseconds', issued_at))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE vouchers DROP CONSTRAINT vouchers_issued_at_milliseconds`);
    await q.query(`ALTER TABLE vouchers ALTER COLUMN issued_at SET DEFAULT now()`);
  }
}
