import 'reflect-metadata';
import { migrateService, runMigrateMain } from '@union/common';
import { loadMemberConfig, type MemberConfig } from './config';
import { memberDataSource } from './data-source';

export const migrateMember = (config: Pick<MemberConfig, 'databaseUrl' | 'dbSchema' | 'poolSize'>) =>
  migrateService(memberDataSource(config), config.databaseUrl, config.dbSchema);

if (require.main === module) runMigrateMain('member', () => migrateMember(loadMemberConfig()));
