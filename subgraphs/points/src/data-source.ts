import { createDataSource, type StatementCounter } from '@union/common';
import type { PointsConfig } from './config';
import { pointsMigrations } from './migrations';
import { PointsAccountEntity, PointsTransactionEntity } from './modules/points/points.entity';
import { RewardEntity, RewardOrderEntity } from './modules/reward/reward.entity';

export const pointsEntities = [PointsAccountEntity, PointsTransactionEntity, RewardEntity, RewardOrderEntity];

export function pointsDataSource(config: Pick<PointsConfig, 'databaseUrl' | 'dbSchema' | 'poolSize'>, counter?: StatementCounter) {
  return createDataSource({
    url: config.databaseUrl,
    schema: config.dbSchema,
    entities: pointsEntities,
    migrations: pointsMigrations,
    poolSize: config.poolSize,
    counter,
    applicationName: 'points-subgraph',
  });
}
