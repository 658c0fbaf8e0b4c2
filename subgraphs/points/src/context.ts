import { CursorCodec, InternalClient, memberDirectory, type MemberDirectory, type Principal } from '@union/common';
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

export function createPointsContext(db: DataSource, config: PointsConfig, principal: Principal, requestId: string): PointsContext {
  return {
    principal,
    requestId,
    db,
    config,
    cursors: new CursorCodec(config.internalSecret),
    directory: memberDirectory(new InternalClient(config.memberSubgraphUrl, 'points', config.internalSecret, requestId)),
    loaders: { ...pointsLoaders(db), ...rewardLoaders(db) },
  };
}
