import { CursorCodec, InternalClient, memberDirectory, type MemberDirectory, type Principal } from '@union/common';
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

export function createBenefitContext(db: DataSource, config: BenefitConfig, principal: Principal, requestId: string): BenefitContext {
  return {
    principal,
    requestId,
    db,
    config,
    cursors: new CursorCodec(config.internalSecret),
    directory: memberDirectory(new InternalClient(config.memberSubgraphUrl, 'benefit', config.internalSecret, requestId)),
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
