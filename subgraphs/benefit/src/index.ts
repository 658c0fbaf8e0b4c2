import './tracing';
import 'reflect-metadata';
import { launchSubgraph, runServiceMain, type RunningSubgraph } from '@union/common';
import { type BenefitConfig, loadBenefitConfig } from './config';
import { createBenefitContext, processShared } from './context';
import { benefitDataSource } from './data-source';
import { claimGroupsOf, observeClaimGroups } from './modules/voucher/voucher.claims';
import { buildBenefitSchema } from './schema';

export function startBenefitSubgraph(config: BenefitConfig, options: { log?: (line: string) => void } = {}): Promise<RunningSubgraph> {
  return launchSubgraph({
    name: 'benefit',
    dataSource: (counter) => benefitDataSource(config, counter),
    buildSchema: buildBenefitSchema,
    config,
    createContext: (db, principal, requestId) => createBenefitContext(db, config, principal, requestId),
    // The claims partners and members make: their outcomes are counted on /metrics (union_claim_outcomes_total).
    countedMutations: ['claimVoucher', 'redeemVoucher', 'applyHospitalDiscount'],
    eventOutbox: true,
    directoryLookups: processShared(config).memberDirectory.lookups,
    serviceMetrics: (db, registry) => observeClaimGroups(registry, claimGroupsOf(db)),
    log: options.log,
  });
}

export { benefitDataSource, buildBenefitSchema, loadBenefitConfig };

export { migrateBenefit } from './migrate';
export { DEMO_VOUCHER_BATCHES, seedVoucherDemo } from './seed/voucher-seed';
export { seedHospitalDemo } from './seed/hospital-seed';

if (require.main === module) runServiceMain('benefit subgraph', () => startBenefitSubgraph(loadBenefitConfig()));
