import { keyedLoader } from '@union/common';
import type { DataSource } from 'typeorm';
import { type RewardEntity, rewardFromRow } from './reward.entity';

export function rewardLoaders(db: DataSource) {
  return {
    rewardById: keyedLoader<string, RewardEntity>(
      async (ids) => (await db.query(`SELECT * FROM rewards WHERE id = ANY($1::uuid[])`, [ids])).map(rewardFromRow),
      (r) => r.id,
    ),
  };
}
