import './tracing';
import 'reflect-metadata';
import { launchSubgraph, lineLogger, runServiceMain, serviceLogger, type RunningSubgraph } from '@union/common';
import { type PointsConfig, loadPointsConfig } from './config';
import { createPointsContext, processShared } from './context';
import { pointsDataSource } from './data-source';
import { scheduleExpiry } from './modules/points/points.expiry';
import { buildPointsSchema } from './schema';

export async function startPointsSubgraph(config: PointsConfig, options: { log?: (line: string) => void } = {}): Promise<RunningSubgraph> {
  const service = await launchSubgraph({
    name: 'points',
    dataSource: (counter) => pointsDataSource(config, counter),
    buildSchema: buildPointsSchema,
    config,
    createContext: (db, principal, requestId) => createPointsContext(db, config, principal, requestId),
    eventOutbox: true,
    directoryLookups: processShared(config).memberDirectory.lookups,
    log: options.log,
  });
  const stopExpiry = scheduleExpiry(service.db, config.expiryIntervalSeconds, lineLogger(serviceLogger('points', options.log)));
  return {
    ...service,
    async stop() {
      await stopExpiry();
      await service.stop();
    },
  };
}

export { pointsDataSource, buildPointsSchema, loadPointsConfig };

export { migratePoints } from './migrate';
export { runExpiry } from './modules/points/points.expiry';
export { seedPointsDemo } from './seed/points-seed';

if (require.main === module) runServiceMain('points subgraph', () => startPointsSubgraph(loadPointsConfig()));
