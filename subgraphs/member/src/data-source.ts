import { createDataSource, type StatementCounter } from '@union/common';
import type { MemberConfig } from './config';
import { memberMigrations } from './migrations';
import { MemberEntity } from './modules/member/member.entity';
import { OrganizationEntity, OrganizationStatsEntity } from './modules/organization/organization.entity';
import { MemberVerificationEntity } from './modules/verification/verification.entity';

export const memberEntities = [OrganizationEntity, OrganizationStatsEntity, MemberEntity, MemberVerificationEntity];

export function memberDataSource(config: Pick<MemberConfig, 'databaseUrl' | 'dbSchema' | 'poolSize'>, counter?: StatementCounter) {
  return createDataSource({
    url: config.databaseUrl,
    schema: config.dbSchema,
    entities: memberEntities,
    migrations: memberMigrations,
    poolSize: config.poolSize,
    counter,
    applicationName: 'member-subgraph',
  });
}
