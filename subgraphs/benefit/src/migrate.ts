import 'reflect-metadata';
import { migrateService, runMigrateMain } from '@union/common';
import { type BenefitConfig, loadBenefitConfig } from './config';
import { benefitDataSource } from './data-source';

export const migrateBenefit = (config: Pick<BenefitConfig, 'databaseUrl' | 'dbSchema' | 'poolSize'>) =>
  migrateService(benefitDataSource(config), config.databaseUrl, config.dbSchema);

if (require.main === module) runMigrateMain('benefit', () => migrateBenefit(loadBenefitConfig()));
