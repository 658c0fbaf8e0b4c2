import { CursorCodec, memberDirectory, MemberDirectoryClient, type MemberDirectory, type Principal } from '@union/common';
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

/** What a process builds once and every request shares: the member directory client, the cursor codec. */
interface ProcessShared {
  memberDirectory: MemberDirectoryClient;
  cursors: CursorCodec;
}
const sharedByConfig = new WeakMap<BenefitConfig, ProcessShared>();

/** The process's shared parts for this configuration (one per started subgraph). */
export function processShared(config: BenefitConfig): ProcessShared {
  let shared = sharedByConfig.get(config);
  if (!shared) {
    shared = {
      memberDirectory: new MemberDirectoryClient(config.memberSubgraphUrl, 'benefit', config.internalSecret),
      cursors: new CursorCodec(config.internalSecret),
    };
    sharedByConfig.set(config, shared);
  }
  return shared;
}

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
