import { CursorCodec, memberDirectory, MemberDirectoryClient, type MemberDirectory, type Principal } from '@union/common';
import type { DataSource } from 'typeorm';
import type { PointsConfig } from './config';
import { pointsLoaders } from './modules/points/points.loaders';
import { rewardLoaders } from './modules/reward/reward.loaders';

export interface PointsContext {
  principal: Principal;
  requestId: string;
  db: DataSource;
  config: PointsConfig;
  cursors: CursorCodec;
  /** Facts about members and organizations, from the member subgraph, batched per request. */
  directory: MemberDirectory;
  loaders: ReturnType<typeof pointsLoaders> & ReturnType<typeof rewardLoaders>;
}

/** What a process builds once and every request shares: the member directory client, the cursor codec. */
interface ProcessShared {
  memberDirectory: MemberDirectoryClient;
  cursors: CursorCodec;
}
const sharedByConfig = new WeakMap<PointsConfig, ProcessShared>();

/** The process's shared parts for this configuration (one per started subgraph). */
export function processShared(config: PointsConfig): ProcessShared {
  let shared = sharedByConfig.get(config);
  if (!shared) {
    shared = {
      memberDirectory: new MemberDirectoryClient(config.memberSubgraphUrl, 'points', config.internalSecret),
      cursors: new CursorCodec(config.internalSecret),
    };
    sharedByConfig.set(config, shared);
  }
  return shared;
}

export function createPointsContext(db: DataSource, config: PointsConfig, principal: Principal, requestId: string): PointsContext {
  const shared = processShared(config);
  return {
    principal,
    requestId,
    db,
    config,
    cursors: shared.cursors,
    directory: memberDirectory(shared.memberDirectory, requestId),
    loaders: { ...pointsLoaders(db), ...rewardLoaders(db) },
  };
}
