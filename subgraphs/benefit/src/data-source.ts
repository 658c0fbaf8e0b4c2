import { createDataSource, type StatementCounter } from '@union/common';
import type { BenefitConfig } from './config';
import { benefitMigrations } from './migrations';
import { BenefitProgramEntity } from './modules/program/program.entity';
import { DiscountClaimEntity, HospitalDiscountPolicyEntity } from './modules/hospital/hospital.entity';
import { VoucherEntity } from './modules/voucher/voucher.entity';
import { VoucherBatchEntity } from './modules/batch/batch.entity';
import { RedemptionEntity } from './modules/redemption/redemption.entity';

export const benefitEntities = [BenefitProgramEntity, VoucherEntity, VoucherBatchEntity, RedemptionEntity, HospitalDiscountPolicyEntity, DiscountClaimEntity];

export function benefitDataSource(config: Pick<BenefitConfig, 'databaseUrl' | 'dbSchema' | 'poolSize'>, counter?: StatementCounter) {
  return createDataSource({
    url: config.databaseUrl,
    schema: config.dbSchema,
    entities: benefitEntities,
    migrations: benefitMigrations,
    poolSize: config.poolSize,
    counter,
    applicationName: 'benefit-subgraph',
  });
}
