import 'reflect-metadata';
import { migrateService, runMigrateMain } from '@union/common';
import { type PointsConfig, loadPointsConfig } from './config';
import { pointsDataSource } from './data-source';

export const migratePoints = (config: Pick<PointsConfig, 'databaseUrl' | 'dbSchema' | 'poolSize'>) =>
  migrateService(pointsDataSource(config), config.databaseUrl, config.dbSchema);

if (require.main === module) runMigrateMain('points', () => migratePoints(loadPointsConfig()));
