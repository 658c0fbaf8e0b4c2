import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Earning caps kept one counter row per (member, rule, period): a row per member per rule per
 * Asia/Shanghai day that nothing ever read again, hundreds of millions a year at our scale. Only
 * the current period's counter decides anything, so the key becomes (member, rule): an award in a
 * later period starts the row again (points.service countAgainstCap), and the CHECK still refuses
 * any total above the cap. Older periods' rows are dropped here; the ledger keeps every award.
 */
export class OneEarningCapPerRule1767000003400 implements MigrationInterface {
  name = 'OneEarningCapPerRule1767000003400';

  async up(q: QueryRunner): Promise<void> {
    // Periods are 'YYYY-MM-DD' (ordered as text) or 'ever', which never shares a rule with a day.
    await q.query(`
      DELETE FROM points_earning_caps c USING points_earning_caps newer
       WHERE newer.member_id = c.member_id AND newer.rule = c.rule AND newer.period > c.period`);
    await q.query(`ALTER TABLE points_earning_caps DROP CONSTRAINT points_earning_caps_pkey, ADD PRIMARY KEY (member_id, rule)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE points_earning_caps DROP CONSTRAINT points_earning_caps_pkey, ADD PRIMARY KEY (member_id, rule, period)`);
  }
}
