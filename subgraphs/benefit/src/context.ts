import { CursorCodec, memberDirectory, memberDirectoryCaller, type MemberDirectory, type Principal } from '@union/common';
import type { DataSource } from 'typeorm';
import type { BenefitConfig } from './config';
import { memberAccountLoaders } from './modules/member/member.loaders';
import { programLoaders } from './modules/program/program.loaders';
import { hospitalLoaders } from './modules/hospital/hospital.loaders';
import { batchLoaders } from './modules/batch/batch.loaders';
import { redemptionLoaders } from './modules/redemption/redemption.loaders';
import { voucherLoaders } from './modules/voucher/voucher.loaders';

export interface BenefitContext {
  principal: Principal;
  requestId: string;
  db: DataSource;
  config: BenefitConfig;
  cursors: CursorCodec;
  /** Facts about members and organizations, from the member subgraph, batched per request. */
  directory: MemberDirectory;
  loaders: ReturnType<typeof programLoaders> &
    ReturnType<typeof memberAccountLoaders> &
    ReturnType<typeof hospitalLoaders> &
    ReturnType<typeof batchLoaders> &
    ReturnType<typeof voucherLoaders> &
    ReturnType<typeof redemptionLoaders>;
}

/** The process's member directory client and cursor codec (built once per started subgraph). */
export const processShared = (config: BenefitConfig) => memberDirectoryCaller(config, 'benefit');

export function createBenefitContext(db: DataSource, config: BenefitConfig, principal: Principal, requestId: string): BenefitContext {
  const shared = processShared(config);
  return {
    principal,
    requestId,
    db,
    config,
    cursors: shared.cursors,
    directory: memberDirectory(shared.memberDirectory, requestId),
    loaders: {
      ...programLoaders(db),
      ...memberAccountLoaders(db),
      ...hospitalLoaders(db),
      ...batchLoaders(db),
      ...voucherLoaders(db),
      ...redemptionLoaders(db),
    },
  };
}
