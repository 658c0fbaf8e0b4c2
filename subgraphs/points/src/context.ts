import { CursorCodec, memberDirectory, memberDirectoryCaller, type MemberDirectory, type Principal } from '@union/common';
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

/** The process's member directory client and cursor codec (built once per started subgraph). */
export const processShared = (config: PointsConfig) => memberDirectoryCaller(config, 'points');

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
